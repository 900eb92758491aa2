/** Errors of bundle execution with stable codes (docs/errors.md). Their messages are safe to show to clients. */
export type ExecutionCode = 'MCPD_EXEC_TIMEOUT' | 'MCPD_EXEC_CRASHED' | 'MCPD_EXEC_INVALID';

export class ExecutionError extends Error {
  override readonly name = 'ExecutionError';
  constructor(
    readonly code: ExecutionCode,
    message: string,
  ) {
    super(message);
  }
}
