// interactive.js: tools that call back into the client (sampling/createMessage, form-mode elicitation/create).

function requireCapability(ctx, name) {
  if (!ctx.clientCapabilities?.[name]) {
    throw new Error(`Client does not support ${name} (no "${name}" capability declared at initialize)`);
  }
}

const elicitationSummary = (result) =>
  `action=${result?.action}, content=${JSON.stringify(result?.content ?? {})}`;

/** test_sampling (tools-call-sampling): one user text message, maxTokens 100; echoes the model's text. */
export async function sampling(args, ctx) {
  requireCapability(ctx, 'sampling');
  const result = await ctx.sample({
    messages: [{ role: 'user', content: { type: 'text', text: args.prompt } }],
    maxTokens: 100,
  });
  // CreateMessageResult.content is one block (or, since 2025-11-25, possibly an array).
  const blocks = Array.isArray(result?.content) ? result.content : [result?.content];
  const textBlock = blocks.find((b) => b?.type === 'text');
  return { content: [{ type: 'text', text: `LLM response: ${textBlock?.text ?? 'No response'}` }] };
}

/** test_elicitation (tools-call-elicitation): form with required username + email. */
export async function elicitation(args, ctx) {
  requireCapability(ctx, 'elicitation');
  const result = await ctx.elicit({
    message: args.message,
    requestedSchema: {
      type: 'object',
      properties: {
        username: { type: 'string', description: "User's response" },
        email: { type: 'string', description: "User's email address" },
      },
      required: ['username', 'email'],
    },
  });
  return { content: [{ type: 'text', text: `User response: ${elicitationSummary(result)}` }] };
}

/** test_elicitation_sep1034_defaults (elicitation-sep1034-defaults): a default on every primitive type. */
export async function elicitationDefaults(_args, ctx) {
  requireCapability(ctx, 'elicitation');
  const result = await ctx.elicit({
    message: 'Please review and update the form fields with defaults',
    requestedSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', description: 'User name', default: 'John Doe' },
        age: { type: 'integer', description: 'User age', default: 30 },
        score: { type: 'number', description: 'User score', default: 95.5 },
        status: {
          type: 'string',
          description: 'User status',
          enum: ['active', 'inactive', 'pending'],
          default: 'active',
        },
        verified: { type: 'boolean', description: 'Verification status', default: true },
      },
      required: [],
    },
  });
  return { content: [{ type: 'text', text: `Elicitation completed: ${elicitationSummary(result)}` }] };
}

/** test_elicitation_sep1330_enums (elicitation-sep1330-enums): the five enum schema shapes. */
export async function elicitationEnums(_args, ctx) {
  requireCapability(ctx, 'elicitation');
  const result = await ctx.elicit({
    message: 'Please select options from the enum fields',
    requestedSchema: {
      type: 'object',
      properties: {
        // 1. untitled single-select: plain enum, no oneOf / enumNames
        untitledSingle: {
          type: 'string',
          description: 'Select one option',
          enum: ['option1', 'option2', 'option3'],
        },
        // 2. titled single-select: oneOf of {const,title}, no enum
        titledSingle: {
          type: 'string',
          description: 'Select one option with titles',
          oneOf: [
            { const: 'value1', title: 'First Option' },
            { const: 'value2', title: 'Second Option' },
            { const: 'value3', title: 'Third Option' },
          ],
        },
        // 3. legacy titled (deprecated): enum + enumNames of equal length
        legacyEnum: {
          type: 'string',
          description: 'Select one option (legacy)',
          enum: ['opt1', 'opt2', 'opt3'],
          enumNames: ['Option One', 'Option Two', 'Option Three'],
        },
        // 4. untitled multi-select: array of items.enum, no items.anyOf
        untitledMulti: {
          type: 'array',
          description: 'Select multiple options',
          minItems: 1,
          maxItems: 3,
          items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
        },
        // 5. titled multi-select: array of items.anyOf of {const,title}, no items.enum
        titledMulti: {
          type: 'array',
          description: 'Select multiple options with titles',
          minItems: 1,
          maxItems: 3,
          items: {
            anyOf: [
              { const: 'value1', title: 'First Choice' },
              { const: 'value2', title: 'Second Choice' },
              { const: 'value3', title: 'Third Choice' },
            ],
          },
        },
      },
      required: [],
    },
  });
  return { content: [{ type: 'text', text: `Elicitation completed: ${elicitationSummary(result)}` }] };
}
