/** Methods only the stateless era (2026-07-28) has: `server/discover` and `subscriptions/listen`. */
import { invalidParams } from '../../protocol/errors.js';
import { META, MODERN_VERSIONS } from '../../protocol/modern.js';
import { Session } from '../session.js';
import type { MethodTable } from '../engine.js';
import { MODERN_SERVER_CAPABILITIES } from './lifecycle.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const modernOnlyMethods: MethodTable = {
  'server/discover': {
    run(_params, ctx) {
      const result: Record<string, unknown> = {
        supportedVersions: [...MODERN_VERSIONS],
        capabilities: MODERN_SERVER_CAPABILITIES,
      };
      if (ctx.endpoint.instructions) result['instructions'] = ctx.endpoint.instructions;
      return result;
    },
  },
  /**
   * A long-lived stream of list_changed / resources/updated notifications. The first message acknowledges
   * what will be sent; every message carries the listen request's id as subscriptionId. It ends when the
   * client cancels (closes the HTTP response, or notifications/cancelled on stdio), with no response.
   */
  'subscriptions/listen': {
    run(params, ctx, engine) {
      const wanted = params['notifications'];
      if (!isObject(wanted)) throw invalidParams('subscriptions/listen requires a notifications object');
      const uris = Array.isArray(wanted['resourceSubscriptions'])
        ? wanted['resourceSubscriptions'].filter((u): u is string => typeof u === 'string')
        : [];
      const filter = {
        tools: wanted['toolsListChanged'] === true,
        prompts: wanted['promptsListChanged'] === true,
        resources: wanted['resourcesListChanged'] === true,
      };
      const ack: Record<string, unknown> = {};
      if (filter.tools) ack['toolsListChanged'] = true;
      if (filter.prompts) ack['promptsListChanged'] = true;
      if (filter.resources) ack['resourcesListChanged'] = true;
      if (uris.length > 0) ack['resourceSubscriptions'] = uris;
      const subscriptionId = ctx.requestId;
      const tag = { [META.subscriptionId]: subscriptionId };
      ctx.sink.send({
        jsonrpc: '2.0',
        method: 'notifications/subscriptions/acknowledged',
        params: { _meta: tag, notifications: ack },
      });
      const listener = new Session(ctx.endpoint.id);
      listener.initialized = true;
      listener.listen = filter;
      listener.subscriptions = new Set(uris);
      listener.notifier = (m) => {
        if (!('method' in m)) return;
        ctx.sink.send({ ...m, params: { ...(m.params ?? {}), _meta: tag } });
      };
      engine.hub.add(listener);
      return new Promise((resolve) => {
        const stop = (result: unknown) => {
          engine.hub.remove(listener);
          engine.subscriptionEnders.delete(end);
          resolve(result);
        };
        // The server ending the stream (shutdown) answers the listen request, so the client sees a graceful end.
        const end = () => stop({ _meta: tag });
        engine.subscriptionEnders.add(end);
        ctx.cancel.signal.addEventListener('abort', () => stop(undefined), { once: true });
      });
    },
  },
};
