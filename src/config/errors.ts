/** Start-up errors: bad configuration. The CLI prints the message (no stack) and exits with status 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'MCPD_CONFIG_INVALID';
}
