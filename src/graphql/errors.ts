/**
 * Errors of the management API. A ManagementError carries a stable code in `extensions.code`; errors the daemon
 * knows (store, bundle, archive, config) keep their message and code; anything else is masked as "Unexpected error."
 * and logged with its detail.
 */
import type { GraphQLError } from 'graphql';

export type ManagementCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'UNAVAILABLE' | 'FORBIDDEN';

export class ManagementError extends Error {
  override readonly name = 'ManagementError';
  constructor(
    readonly code: ManagementCode,
    message: string,
  ) {
    super(message);
  }
}

const KNOWN = new Set([
  'ManagementError',
  'StoreError',
  'BundleError',
  'ArchiveError',
  'ConfigError',
  'BlobError',
]);

export interface MaskedError {
  message: string;
  locations?: NonNullable<GraphQLError['locations']>;
  path?: NonNullable<GraphQLError['path']>;
  extensions: { code: string };
}

/** Where a GraphQL error points, when it does. */
function whereOf(err: Partial<Pick<GraphQLError, 'locations' | 'path'>>) {
  return {
    ...(err.locations ? { locations: err.locations } : {}),
    ...(err.path ? { path: err.path } : {}),
  };
}

/** One error as the client sees it; a request rejected before execution may carry several. */
export function formatError(err: GraphQLError, log: (err: unknown) => void): MaskedError[] {
  const original = err.originalError as
    (Error & { code?: unknown; statusCode?: unknown; errors?: unknown }) | undefined;
  const where = whereOf(err);
  if (!original || original === (err as unknown)) {
    // GraphQL's own errors: syntax, validation, variable coercion.
    return [{ message: err.message, ...where, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }];
  }
  if (!err.path && Array.isArray(original.errors)) {
    // mercurius rejects a query before running it (syntax, validation, variable coercion, a mutation over GET)
    // with one error holding GraphQL's errors.
    return (original.errors as (Partial<GraphQLError> & { message?: unknown })[]).map((e) => ({
      message: String(e.message),
      ...whereOf(e),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    }));
  }
  if (KNOWN.has(original.name) && typeof original.code === 'string') {
    return [{ message: original.message, ...where, extensions: { code: original.code } }];
  }
  if (original.name === 'GraphQLError') {
    return [{ message: original.message, ...where, extensions: { code: 'BAD_USER_INPUT' } }];
  }
  if (
    !err.path &&
    typeof original.statusCode === 'number' &&
    original.statusCode >= 400 &&
    original.statusCode < 500
  ) {
    // The HTTP request itself was refused before any resolver ran (a body that is not JSON, a wrong media type).
    return [{ message: original.message, extensions: { code: 'BAD_REQUEST' } }];
  }
  log(original);
  return [{ message: 'Unexpected error.', ...where, extensions: { code: 'INTERNAL_SERVER_ERROR' } }];
}
