/**
 * The shared helper test/helpers/daemon.ts starts a daemon with `silentLogger` (src/observability/logger.ts).
 * createDaemon() passes that logger to Fastify as `loggerInstance`, and Fastify rejects it because it has no
 * `fatal`/`trace` methods. This test documents that bug: it fails until the daemon accepts its own Logger type.
 */
import { describe, expect, it } from 'vitest';
import { startDaemon as helperStartDaemon } from '../helpers/daemon.js';
import { startDaemon } from './support.js';

describe('starting the daemon in-process', () => {
  it('works with a pino logger (what mcpd serve uses, and what these tests use)', async () => {
    const d = await startDaemon();
    try {
      const res = await fetch(`${d.url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', endpoints: 1 });
    } finally {
      await d.close();
    }
  });

  it('works with the shared helper, i.e. createDaemon(config, silentLogger)', async () => {
    // BUG: rejects with FST_ERR_LOG_INVALID_LOGGER "The logger instance should have these functions(s): 'fatal,trace'".
    const d = await helperStartDaemon();
    try {
      const res = await fetch(`${d.url}/health`);
      expect(res.status).toBe(200);
    } finally {
      await d.close();
    }
  });
});
