// content.js: tools returning fixed content blocks (tools-call-* scenarios, error and JSON Schema 2020-12 tools).
import { TEST_AUDIO_BASE64, TEST_IMAGE_BASE64 } from './media.js';

const text = (t) => ({ content: [{ type: 'text', text: t }] });

/** test_simple_text (tools-call-simple-text). */
export function simpleText() {
  return text('This is a simple text response for testing.');
}

/** test_image_content (tools-call-image): one PNG image block. */
export function imageContent() {
  return { content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }] };
}

/** test_audio_content (tools-call-audio): mimeType must be exactly audio/wav. */
export function audioContent() {
  return { content: [{ type: 'audio', data: TEST_AUDIO_BASE64, mimeType: 'audio/wav' }] };
}

/** test_embedded_resource (tools-call-embedded-resource): resource needs uri, mimeType and text|blob. */
export function embeddedResource() {
  return {
    content: [
      {
        type: 'resource',
        resource: {
          uri: 'test://embedded-resource',
          mimeType: 'text/plain',
          text: 'This is an embedded resource content.',
        },
      },
    ],
  };
}

/** test_multiple_content_types (tools-call-mixed-content): text + image + embedded resource. */
export function multipleContentTypes() {
  return {
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: {
          uri: 'test://mixed-content-resource',
          mimeType: 'application/json',
          text: JSON.stringify({ test: 'data', value: 123 }),
        },
      },
    ],
  };
}

/** test_error_handling (tools-call-error): thrown Error -> {content:[{type:'text',text}], isError:true}. */
export function errorHandling() {
  throw new Error('This tool intentionally returns an error for testing');
}

/** json_schema_2020_12_tool (json-schema-2020-12, not scored): only its advertised inputSchema is checked. */
export function jsonSchema202012(args) {
  return text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args ?? {})}`);
}
