import { describe, expect, it } from 'vitest';
import { createLineLogger } from './logger.js';

describe('createLineLogger', () => {
  it('writes pino-compatible JSON lines at or above its level, with child bindings', () => {
    const lines: string[] = [];
    const log = createLineLogger('info', (l) => lines.push(l));
    log.debug('hidden');
    log.info('plain');
    log.child({ module: 'm' }).warn({ n: 1 }, 'with fields');
    log.error(new Error('boom'));
    log.info(7 as unknown as string);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(4);
    expect(records[0]).toMatchObject({ level: 30, msg: 'plain' });
    expect(records[1]).toMatchObject({ level: 40, module: 'm', n: 1, msg: 'with fields' });
    expect(records[2]).toMatchObject({ level: 50, err: { type: 'Error', message: 'boom' } });
    expect(records[3]).toMatchObject({ value: 7 });
  });

  it('serializes errors nested in fields and stays silent when asked', () => {
    const lines: string[] = [];
    createLineLogger('debug', (l) => lines.push(l)).error({ err: new TypeError('bad') }, 'failed');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      err: { type: 'TypeError', message: 'bad' },
      msg: 'failed',
    });
    const quiet: string[] = [];
    createLineLogger('silent', (l) => quiet.push(l)).error('nothing');
    expect(quiet).toEqual([]);
  });
});
