// tasks.js: fixtures of the tasks scenarios (the 2026-07-28 extension io.modelcontextprotocol/tasks, and the
// 2025-11-25 tasks utility). Which of them may or must run as a task is said in mcp.json (execution.taskSupport);
// the code is ordinary tool code: ctx.sleep honours cancellation, ctx.elicit / ctx.requestInputs park a task in
// input_required until the client answers.

const confirmSchema = { type: 'object', properties: { confirm: { type: 'boolean' } }, required: ['confirm'] };
const nameSchema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };

/** greet: never a task. */
export function greet({ name }) {
  return `Hello, ${name}!`;
}

/** slow_compute: may run as a task; sleeps `seconds`, stopping at once when cancelled. */
export async function slowCompute({ seconds = 1, label = 'result' }, ctx) {
  if (seconds > 0) await ctx.sleep(seconds * 1000);
  return `Computed ${label} after ${seconds}s`;
}

/** failing_job: must run as a task; ends with a tool error (a `completed` task whose result has isError). */
export async function failingJob(_args, ctx) {
  await ctx.sleep(500);
  throw new Error('The job failed');
}

/** protocol_error_job: must run as a task; ends with a protocol error (a `failed` task with `error`). */
export async function protocolErrorJob(_args, ctx) {
  await ctx.sleep(300);
  throw Object.assign(new Error('The job hit an internal error'), { code: -32603 });
}

/** confirm_delete: must run as a task; asks the client to confirm. */
export async function confirmDelete({ filename }, ctx) {
  const answer = await ctx.elicit({ message: `Delete ${filename}?`, requestedSchema: confirmSchema });
  return answer.action === 'accept' && answer.content?.confirm === true
    ? `Deleted ${filename}`
    : `Kept ${filename}`;
}

/** multi_input: must run as a task; asks two questions at once. */
export async function multiInput(_args, ctx) {
  const { name, confirm } = await ctx.requestInputs({
    name: { method: 'elicitation/create', params: { message: 'Your name?', requestedSchema: nameSchema } },
    confirm: {
      method: 'elicitation/create',
      params: { message: 'Proceed?', requestedSchema: confirmSchema },
    },
  });
  return `Hello ${name.content?.name ?? 'nobody'}, confirmed: ${confirm.content?.confirm === true}`;
}

/**
 * test_tool_with_task: asks for a name as an ordinary request (an InputRequiredResult), then begins its task
 * (mcp.json: "x-mcpd-task-start": "explicit") and answers as the task.
 */
export async function toolWithTask(_args, ctx) {
  const answer = await ctx.elicit(
    { message: 'Your name?', requestedSchema: nameSchema },
    { key: 'user_name' },
  );
  ctx.beginTask();
  await ctx.sleep(200);
  return `Hello, ${answer.content?.name ?? 'nobody'}!`;
}
