/**
 * Turns what bundle code returns into MCP results: the older engine's `return_type` conversions
 * (text, image, embedded_resource), or full MCP results passed through as they are.
 */
import type { ReturnType } from '../registry/catalog.js';

export interface ToolResult {
  content: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
  [key: string]: unknown;
}

export const toolErrorResult = (message: string): ToolResult => ({
  content: [{ type: 'text', text: message }],
  isError: true,
});

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

const toBase64 = (v: unknown): string => (isBytes(v) ? Buffer.from(v).toString('base64') : String(v));

/** Converts a tool's return value to a CallToolResult. */
export function toToolResult(
  value: unknown,
  returnType: ReturnType | undefined,
  structured: boolean,
): ToolResult {
  if (isRecord(value) && (Array.isArray(value['content']) || 'structuredContent' in value)) {
    // Object.assign, not a spread: V8 is far slower at `{...value, more}` on this hot path.
    const result = Object.assign({}, value) as ToolResult;
    result.content = Array.isArray(value['content']) ? value['content'] : [];
    if (result.content.length === 0 && result.structuredContent !== undefined) {
      result.content = [{ type: 'text', text: JSON.stringify(result.structuredContent) }];
    }
    return result;
  }
  if (value === undefined || value === null) return { content: [] };
  if (returnType === 'image') return { content: [imageContent(value)] };
  if (returnType === 'embedded_resource') return { content: [embeddedResource(value)] };
  if (typeof value === 'string') return { content: [{ type: 'text', text: value }] };
  if (structured && isRecord(value)) {
    return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
  }
  return { content: [{ type: 'text', text: JSON.stringify(value) }] };
}

function imageContent(value: unknown): Record<string, unknown> {
  if (isRecord(value) && !isBytes(value)) {
    return { type: 'image', data: toBase64(value['data']), mimeType: value['mimeType'] ?? 'image/png' };
  }
  return { type: 'image', data: toBase64(value), mimeType: 'image/png' };
}

function embeddedResource(value: unknown): Record<string, unknown> {
  if (isRecord(value) && typeof value['uri'] === 'string') return { type: 'resource', resource: value };
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return { type: 'resource', resource: { uri: 'mcp://result', mimeType: 'text/plain', text } };
}

/** Converts a resource handler's return value to a ReadResourceResult. */
export function toResourceResult(value: unknown, uri: string, mimeType: unknown): Record<string, unknown> {
  if (isRecord(value) && Array.isArray(value['contents'])) return value;
  const base: Record<string, unknown> = { uri };
  if (typeof mimeType === 'string') base['mimeType'] = mimeType;
  if (isBytes(value)) return { contents: [Object.assign(base, { blob: toBase64(value) })] };
  if (isRecord(value) && (typeof value['text'] === 'string' || typeof value['blob'] === 'string')) {
    return { contents: [Object.assign(base, value)] };
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  base['text'] = text;
  return { contents: [base] };
}

/** Converts a prompt handler's return value to a GetPromptResult. */
export function toPromptResult(value: unknown, description: unknown): Record<string, unknown> {
  if (isRecord(value) && Array.isArray(value['messages'])) return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  const result: Record<string, unknown> = { messages: [{ role: 'user', content: { type: 'text', text } }] };
  if (typeof description === 'string') result['description'] = description;
  return result;
}

const MAX_COMPLETIONS = 100;

/** Converts a completion handler's return value to a CompleteResult (at most 100 values, as the spec requires). */
export function toCompletionResult(value: unknown): { completion: Record<string, unknown> } {
  const raw = Array.isArray(value) ? { values: value } : isRecord(value) ? value : { values: [] };
  const values = (Array.isArray(raw['values']) ? raw['values'] : []).map(String);
  const completion: Record<string, unknown> = { values: values.slice(0, MAX_COMPLETIONS) };
  const total = typeof raw['total'] === 'number' ? raw['total'] : values.length;
  if (values.length > MAX_COMPLETIONS || raw['total'] !== undefined) completion['total'] = total;
  completion['hasMore'] = raw['hasMore'] === true || values.length > MAX_COMPLETIONS;
  return { completion };
}
