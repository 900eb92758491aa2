/**
 * The older engine's asynchronous tools (`is_async` on a link): a call that is not done within a short wait answers
 * with an embedded resource `mcp://function-call/{uuid}` holding `{mcp_function_call_uuid, status, notes}`, and keeps
 * running; calling the tool again with `arguments.mcp_function_call_uuid` returns the stored result once the record
 * is `completed` (or the handle again while it is not).
 */
import type { ToolResult } from '../execution/results.js';
import type { FunctionCallRecord } from '../store/index.js';
import type { CallRecorder } from './recorder.js';

export function handleResult(uuid: string, status: string, notes: string | null = null): ToolResult {
  return {
    content: [
      {
        type: 'resource',
        resource: {
          uri: `mcp://function-call/${uuid}`,
          mimeType: 'application/json',
          text: JSON.stringify({ mcp_function_call_uuid: uuid, status, notes }),
        },
      },
    ],
  };
}

/** The answer to a follow-up call naming `mcp_function_call_uuid`. */
export async function followUp(
  recorder: CallRecorder,
  partition: string,
  tool: string,
  uuid: string,
): Promise<ToolResult> {
  const record: FunctionCallRecord | undefined = await recorder.get(partition, uuid);
  if (!record || record.name !== tool || record.mcp_type !== 'tool') {
    return { content: [{ type: 'text', text: `Unknown call ${uuid} of tool ${tool}` }], isError: true };
  }
  if (record.status === 'failed') {
    return { content: [{ type: 'text', text: record.notes ?? 'The call failed' }], isError: true };
  }
  if (record.status !== 'completed') return handleResult(uuid, record.status, record.notes);
  const content = (await recorder.content(record)) as ToolResult['content'] | null;
  const result: ToolResult = { content: content ?? [] };
  if (record.structured_content !== undefined) result.structuredContent = record.structured_content;
  return result;
}
