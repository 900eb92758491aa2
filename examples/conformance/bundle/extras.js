// extras.js: spec features no 2025-11-25 conformance scenario calls (resource_link, URL-mode elicitation); kept for mcpd's own tests.

/** test_resource_link: a resource_link content block pointing at test://static-text. */
export function resourceLink() {
  return {
    content: [
      { type: 'text', text: 'See the linked resource.' },
      {
        type: 'resource_link',
        uri: 'test://static-text',
        name: 'static-text',
        title: 'Static Text Resource',
        description: 'A static text resource for testing',
        mimeType: 'text/plain',
      },
    ],
  };
}

/**
 * test_elicitation_url: URL-mode elicitation (client must declare elicitation.url).
 * On accept it sends notifications/elicitation/complete for the same elicitationId.
 */
export async function elicitationUrl(args, ctx) {
  if (!ctx.clientCapabilities?.elicitation?.url) {
    throw new Error('Client does not support URL-mode elicitation (no elicitation.url capability)');
  }
  const elicitationId = globalThis.crypto.randomUUID();
  const result = await ctx.elicit({
    mode: 'url',
    message: args.message ?? 'Please complete the flow in your browser',
    url: `https://example.com/mcp-elicitation/${elicitationId}`,
    elicitationId,
  });
  if (result?.action === 'accept') {
    await ctx.notify('notifications/elicitation/complete', { elicitationId });
  }
  return { content: [{ type: 'text', text: `URL elicitation ${elicitationId}: action=${result?.action}` }] };
}
