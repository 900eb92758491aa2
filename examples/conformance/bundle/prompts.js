// prompts.js: prompts and prompt-argument completion (prompts-* and completion-complete scenarios).
import { TEST_IMAGE_BASE64 } from './media.js';

const userText = (text) => ({ role: 'user', content: { type: 'text', text } });

/** test_simple_prompt (prompts-get-simple). */
export function simplePrompt() {
  return { messages: [userText('This is a simple prompt for testing.')] };
}

/** test_prompt_with_arguments (prompts-get-with-args): both values must appear in the messages. */
export function promptWithArguments({ arg1, arg2 }) {
  return { messages: [userText(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`)] };
}

/** test_prompt_with_embedded_resource (prompts-get-embedded-resource). */
export function promptWithEmbeddedResource({ resourceUri }) {
  return {
    messages: [
      {
        role: 'user',
        content: {
          type: 'resource',
          resource: {
            uri: resourceUri,
            mimeType: 'text/plain',
            text: 'Embedded resource content for testing.',
          },
        },
      },
      userText('Please process the embedded resource above.'),
    ],
  };
}

/** test_prompt_with_image (prompts-get-with-image). */
export function promptWithImage() {
  return {
    messages: [
      { role: 'user', content: { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' } },
      userText('Please analyze the image above.'),
    ],
  };
}

const SUGGESTIONS = {
  arg1: ['paris', 'park', 'party', 'test', 'testValue1'],
  arg2: ['world', 'words', 'testValue2'],
};

/**
 * completion/complete for ref/prompt test_prompt_with_arguments (completion-complete).
 * The suite sends {argument:{name:'arg1', value:'test'}} and only checks completion.values is an array.
 */
export function completePromptArgument({ argument }) {
  const pool = SUGGESTIONS[argument?.name] ?? [];
  const prefix = (argument?.value ?? '').toLowerCase();
  const values = pool.filter((v) => v.toLowerCase().startsWith(prefix));
  return { values, total: values.length, hasMore: false };
}
