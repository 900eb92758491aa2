/** Handshake-era lifecycle (`initialize`), `ping` and `logging/setLevel`. */
import { ErrorCode, invalidParams, McpError } from '../../protocol/errors.js';
import { isLogLevel, LOG_LEVELS } from '../../protocol/log-levels.js';
import { negotiateVersion } from '../../protocol/versions.js';
import type { MethodTable } from '../engine.js';

/** What every endpoint offers; lists may change at run time, so list_changed is always declared. */
export const SERVER_CAPABILITIES = Object.freeze({
  logging: {},
  completions: {},
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  tools: { listChanged: true },
  // 2025-11-25 tasks: task-augmented tools/call, tasks/list and tasks/cancel (earlier versions ignore it).
  tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
});

/** 2026-07-28 has no `tasks` capability: tasks are the extension io.modelcontextprotocol/tasks. */
export const MODERN_SERVER_CAPABILITIES = Object.freeze({
  logging: {},
  completions: {},
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  tools: { listChanged: true },
  extensions: { 'io.modelcontextprotocol/tasks': {} },
});

export const lifecycleMethods: MethodTable = {
  initialize: {
    beforeInit: true,
    run(params, ctx, engine) {
      const { session, endpoint } = ctx;
      if (session.initialized) {
        throw new McpError(ErrorCode.InvalidRequest, 'Invalid Request: the session is already initialized');
      }
      const requested = params['protocolVersion'];
      if (typeof requested !== 'string') throw invalidParams('initialize requires a protocolVersion string');
      const capabilities = params['capabilities'];
      if (capabilities !== undefined && (typeof capabilities !== 'object' || capabilities === null)) {
        throw invalidParams('capabilities must be an object');
      }
      session.protocolVersion = negotiateVersion(requested);
      session.clientCapabilities = (capabilities as Record<string, unknown> | undefined) ?? {};
      session.clientInfo = params['clientInfo'] as Record<string, unknown> | undefined;
      session.initialized = true;
      const result: Record<string, unknown> = {
        protocolVersion: session.protocolVersion,
        capabilities: SERVER_CAPABILITIES,
        serverInfo: engine.serverInfo,
      };
      if (endpoint.instructions) result['instructions'] = endpoint.instructions;
      return result;
    },
  },
  ping: { beforeInit: true, run: () => ({}) },
  'logging/setLevel': {
    run(params, ctx) {
      const level = params['level'];
      if (!isLogLevel(level)) throw invalidParams(`level must be one of ${LOG_LEVELS.join(', ')}`);
      ctx.session.logLevel = level;
      return {};
    },
  },
};
