/**
 * Who may run which management operation: reading the registry needs a role on the endpoint (caller and up),
 * changing it needs editor, call history and settings need admin, API keys need admin. Without auth (the daemon
 * running open on loopback) everything is allowed.
 */
import type { Action } from '../auth/policy.js';
import { authorize } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { endpointOf } from '../store/index.js';
import { ManagementError } from './errors.js';

const QUERY: Readonly<Record<string, Action | null>> = {
  ping: null,
  mcpFunctionCall: 'history',
  mcpFunctionCallList: 'history',
  mcpSetting: 'settings',
  mcpSettingList: 'settings',
  apiKeyList: 'keys',
};
const MUTATION: Readonly<Record<string, Action>> = {
  insertUpdateMcpFunctionCall: 'history',
  deleteMcpFunctionCall: 'history',
  createApiKey: 'keys',
  revokeApiKey: 'keys',
};

export function actionFor(type: 'Query' | 'Mutation', field: string): Action | null {
  if (type === 'Query') return QUERY[field] === undefined ? 'list' : (QUERY[field] ?? null);
  return MUTATION[field] ?? 'edit';
}

type Resolver = (root: unknown, args: never, ctx: { principal?: Principal; partition: string }) => unknown;

/** Wraps every Query and Mutation resolver with the check its operation needs. */
export function guardResolvers<R extends { Query: object; Mutation: object }>(resolvers: R): R {
  const wrap = (type: 'Query' | 'Mutation', table: object) =>
    Object.fromEntries(
      Object.entries(table).map(([field, fn]) => [
        field,
        (root: unknown, args: never, ctx: { principal?: Principal; partition: string }) => {
          const action = actionFor(type, field);
          if (ctx.principal && action) {
            const endpointId = endpointOf(ctx.partition);
            const decision = authorize(ctx.principal, endpointId, action);
            if (decision !== 'allow') {
              throw new ManagementError(
                'FORBIDDEN',
                `Forbidden: your role on ${endpointId} does not allow "${action}"`,
              );
            }
          }
          return (fn as Resolver)(root, args, ctx);
        },
      ]),
    );
  return {
    ...resolvers,
    Query: wrap('Query', resolvers.Query),
    Mutation: wrap('Mutation', resolvers.Mutation),
  };
}
