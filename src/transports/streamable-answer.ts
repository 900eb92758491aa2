/**
 * The last step of a Streamable HTTP POST, shared by the Fastify route and the fast path: notifications and
 * responses are acknowledged with 202; anything holding a request is answered through a PostChannel.
 */
import type { ServerResponse } from 'node:http';
import type { Engine } from '../engine/engine.js';
import type { Session } from '../engine/session.js';
import { needsAnswer } from './http-common.js';
import type { HttpSession } from './http-sessions.js';
import { PostChannel, type StreamSettings } from './post-channel.js';

export const INITIALIZE_WITH_SESSION = 'Bad Request: initialize must not carry Mcp-Session-Id';

export async function answerPost(
  engine: Engine,
  value: unknown,
  session: Session,
  http: HttpSession | undefined,
  res: ServerResponse,
  settings: StreamSettings,
): Promise<void> {
  if (!needsAnswer(value)) {
    await engine.handle(value, session, { send: (m) => session.notifier?.(m) });
    res.writeHead(202).end();
    return;
  }
  const channel = new PostChannel(res, session, http, settings);
  channel.finish(await engine.handle(value, session, channel));
}
