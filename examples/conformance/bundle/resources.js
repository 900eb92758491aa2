// resources.js: resources, the resource template and its completion (resources-* scenarios); class-based module.
import { TEST_IMAGE_BASE64 } from './media.js';

export class ResourceFixtures {
  /** setting: { watchedText?: string } (from mcp.json modules[].setting). */
  constructor(logger, setting = {}) {
    this.logger = logger;
    this.watchedText = setting.watchedText ?? 'Watched resource content';
  }

  /** test://static-text (resources-read-text). */
  staticText({ uri }) {
    return {
      contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
    };
  }

  /** test://static-binary (resources-read-binary): blob, not text. */
  staticBinary({ uri }) {
    return { contents: [{ uri, mimeType: 'image/png', blob: TEST_IMAGE_BASE64 }] };
  }

  /** test://watched-resource (target of resources-subscribe / resources-unsubscribe). */
  watched({ uri }) {
    return { contents: [{ uri, mimeType: 'text/plain', text: this.watchedText }] };
  }

  /** test://template/{id}/data (resources-templates-read): the text must contain the id. */
  templateData({ uri, id }) {
    return {
      contents: [
        {
          uri,
          mimeType: 'application/json',
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
        },
      ],
    };
  }

  /** completion/complete for ref/resource test://template/{id}/data, argument "id". */
  completeTemplateId({ argument }) {
    const ids = ['1', '2', '3', '42', '123'];
    const values = ids.filter((v) => v.startsWith(argument?.value ?? ''));
    return { values, total: values.length, hasMore: false };
  }
}
