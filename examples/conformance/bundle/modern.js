// modern.js: fixtures the 2026-07-28 conformance scenarios expect. Written with the same ctx calls as any
// bundle: ctx.elicit / ctx.sample / ctx.listRoots become multi-round-trip input requests in that era.

const nameSchema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
const accepted = (answer) => (answer?.action === 'accept' ? (answer.content ?? {}) : undefined);
const text = (t) => ({ content: [{ type: 'text', text: t }] });

/** test_missing_capability: needs sampling; without it the request fails with -32021. */
export async function missingCapability(_args, ctx) {
  await ctx.sample(
    { messages: [{ role: 'user', content: { type: 'text', text: 'Say hi' } }], maxTokens: 10 },
    { key: 'llm' },
  );
  return 'Success';
}

/** test_streaming_elicitation: answers without asking anything. */
export function streamingElicitation() {
  return text('Streaming complete');
}

/** test_logging_tool: logs, which reaches the client only when the request asked for a log level. */
export function loggingTool(_args, ctx) {
  ctx.log('info', 'Logging tool ran');
  return 'Logging evaluated';
}

/** test_trigger_tool_change / test_trigger_prompt_change: announce a list change to listeners. */
export function triggerToolChange(_args, ctx) {
  ctx.notifyListChanged('tools');
  return 'Mutation triggered';
}
export function triggerPromptChange(_args, ctx) {
  ctx.notifyListChanged('prompts');
  return 'Mutation triggered';
}

/** test_input_required_result_elicitation: asks for `user_name`. */
export async function elicitation(_args, ctx) {
  const answer = await ctx.elicit(
    { message: 'What is your name?', requestedSchema: nameSchema },
    { key: 'user_name' },
  );
  const name = accepted(answer)?.name;
  return typeof name === 'string' ? `Hello, ${name}!` : 'No name given';
}

/** test_input_required_result_sampling */
export async function sampling(_args, ctx) {
  const answer = await ctx.sample(
    {
      messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
      maxTokens: 100,
    },
    { key: 'capital_question' },
  );
  return `Sampling result: ${answer?.content?.text ?? ''}`;
}

/** test_input_required_result_list_roots */
export async function listRoots(_args, ctx) {
  const answer = await ctx.listRoots({ key: 'client_roots' });
  const roots = Array.isArray(answer?.roots) ? answer.roots : [];
  return `Found ${roots.length} root(s)`;
}

/** test_input_required_result_request_state and test_input_required_result_tampered_state */
export async function confirm(_args, ctx) {
  const answer = await ctx.elicit(
    {
      message: 'Please confirm',
      requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    },
    { key: 'confirm' },
  );
  return accepted(answer)?.ok === true ? 'state-ok: requestState validated' : 'Not confirmed';
}

/** test_input_required_result_multiple_inputs: three inputs in one round. */
export async function multipleInputs(_args, ctx) {
  const answers = await ctx.requestInputs({
    user_name: {
      method: 'elicitation/create',
      params: { message: 'What is your name?', requestedSchema: nameSchema },
    },
    greeting: {
      method: 'sampling/createMessage',
      params: {
        messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
        maxTokens: 50,
      },
    },
    client_roots: { method: 'roots/list', params: {} },
  });
  const roots = Array.isArray(answers.client_roots?.roots) ? answers.client_roots.roots.length : 0;
  return `Name: ${accepted(answers.user_name)?.name}; Greeting: ${answers.greeting?.content?.text}; Roots: ${roots}`;
}

/** test_input_required_result_multi_round: two rounds, one question each. */
export async function multiRound(_args, ctx) {
  const first = await ctx.elicit(
    { message: 'Step 1: What is your name?', requestedSchema: nameSchema },
    { key: 'step1' },
  );
  const second = await ctx.elicit(
    {
      message: 'Step 2: What is your favorite color?',
      requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
    },
    { key: 'step2' },
  );
  return `Multi-round complete for ${accepted(first)?.name} who likes ${accepted(second)?.color}`;
}

/** test_input_required_result_capabilities: asks only for what the client declared. */
export async function capabilities(_args, ctx) {
  const caps = ctx.clientCapabilities;
  const requests = {};
  if (caps.elicitation) {
    requests.elicit_input = {
      method: 'elicitation/create',
      params: {
        message: 'Any input?',
        requestedSchema: { type: 'object', properties: { value: { type: 'string' } } },
      },
    };
  }
  if (caps.sampling) {
    requests.sample_input = {
      method: 'sampling/createMessage',
      params: {
        messages: [{ role: 'user', content: { type: 'text', text: 'Say something' } }],
        maxTokens: 20,
      },
    };
  }
  if (caps.roots) requests.client_roots = { method: 'roots/list', params: {} };
  if (Object.keys(requests).length === 0) return 'No supported capabilities declared';
  const answers = await ctx.requestInputs(requests);
  return `capabilities-ok: received ${Object.keys(answers).join(', ')}`;
}

/** prompt test_input_required_result_prompt */
export async function contextPrompt(_args, ctx) {
  const answer = await ctx.elicit(
    {
      message: 'What context should the prompt use?',
      requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
    },
    { key: 'user_context' },
  );
  return {
    messages: [
      { role: 'user', content: { type: 'text', text: `Prompt with context: ${accepted(answer)?.context}` } },
    ],
  };
}

/** test_x_mcp_header: its region argument travels in the Mcp-Param-Region header too (x-mcp-header). */
export function xMcpHeader({ region }) {
  return `region=${region}`;
}
