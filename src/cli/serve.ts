/** `mcpd serve`: the HTTP daemon. SIGHUP reloads the config file; SIGTERM/SIGINT close gracefully. */
import { type Config, isLoopback } from '../config/config.js';
import { createDaemon } from '../daemon.js';
import { createPinoLogger } from '../observability/pino.js';
import { tuneV8 } from './v8-tuning.js';

export async function runServe(config: Config): Promise<number> {
  tuneV8();
  const logger = createPinoLogger(config.logLevel);
  const daemon = await createDaemon(config, logger);
  const url = await daemon.listen();
  logger.info({ url, config: config.configFile ?? null }, `mcpd listening on ${url}`);
  const generated = daemon.auth?.generatedAdminToken;
  if (generated) {
    // Where the token is, never the token itself.
    logger.warn(
      { path: generated.path },
      `No auth provider is configured: requests need the admin token kept in ${generated.path} ` +
        '(Authorization: Bearer <token>). Set AUTH_PROVIDER (local, cognito, oidc) or ADMIN_STATIC_TOKEN, ' +
        'or AUTH_PROVIDER=none to run open on loopback.',
    );
  }
  if (config.open) logger.warn('AUTH_PROVIDER=none: no authentication (loopback only)');
  if (!config.open && !isLoopback(config.host) && config.auth.publicUrl === undefined) {
    logger.warn(
      'MCPD_PUBLIC_URL is not set: token audiences (RFC 8707) are not checked and the resource metadata takes ' +
        'its URLs from the Host header. Set it to the URL clients use (e.g. https://mcp.example.com).',
    );
  }
  process.on('SIGHUP', () => {
    daemon.reload().then(
      () => logger.info('config reloaded'),
      (err: unknown) => logger.error({ err }, 'config reload failed; keeping the previous registry'),
    );
  });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  logger.info('shutting down');
  await daemon.close();
  return 0;
}
