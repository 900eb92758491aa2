/**
 * JSON-RPC and MCP error codes, and the one error class the engine throws to answer a request with an error.
 * Not for transport-level failures (HTTP status codes live with the transports).
 */

/** Stable JSON-RPC error codes used on the wire. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** MCP: a resource that does not exist. */
  ResourceNotFound: -32002,
  /** MCP: the server needs the client to complete a URL elicitation first. */
  UrlElicitationRequired: -32042,
  /** Transport-level errors carried as JSON-RPC errors (session missing, bad headers). */
  ConnectionClosed: -32000,
  RequestTimeout: -32001,
  /** mcpd: the endpoint has too many calls in progress; `data.retryAfterMs` says when to retry. */
  ServerBusy: -32050,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error that becomes a JSON-RPC error response. Its message is safe to show to the client. */
export class McpError extends Error {
  override readonly name = 'McpError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export const invalidParams = (message: string, data?: unknown): McpError =>
  new McpError(ErrorCode.InvalidParams, message, data);

export const methodNotFound = (method: string): McpError =>
  new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
