/**
 * Resolvers of the management API. Every operation works inside the request's partition (`endpoint_id` or
 * `endpoint_id#Part-ID`); a write that changes what an endpoint serves refreshes it (cascading purge) before
 * answering, so the next call and the list_changed notifications already reflect it.
 */
import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import type { BlobStore } from '../blobs/index.js';
import type { DeployRequest, DeployResult } from '../bundles/deploy.js';
import { ConfigError } from '../config/errors.js';
import { parseRegistry } from '../registry/config-file.js';
import { functionRows } from '../registry/manifest.js';
import {
  type Audit,
  endpointOf,
  type FunctionCallRecord,
  type ListFilter,
  type ModuleRecord,
  type Store,
  type Table,
} from '../store/index.js';
import { CALL_UUID, readContent, writeContent } from '../calls/content-store.js';
import { type ApiKeyDirectory, type ApiKeyRecord, createApiKey } from '../auth/api-keys.js';
import { isRole, type Principal } from '../auth/principal.js';
import { ManagementError } from './errors.js';
import { JSONScalar } from './json-scalar.js';
import { toGraphql } from './shape.js';

export interface ManagementContext {
  readonly partition: string;
  /** Who asks (absent when the daemon runs open). */
  readonly principal?: Principal;
  readonly apiKeys?: ApiKeyDirectory;
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly refresh: (partition: string) => Promise<void>;
  readonly deploy: (req: DeployRequest) => Promise<DeployResult>;
  readonly loaders: Loaders;
}

export interface Loaders {
  readonly module: DataLoader<string, ModuleRecord | undefined>;
}

/** Per request: batches `McpFunction.module` into one `getMany` per page. */
export function createLoaders(store: Store, partition: string): Loaders {
  return {
    module: new DataLoader(async (names: readonly string[]) => {
      const rows = await store.modules.getMany(partition, names);
      const byName = new Map(rows.map((r) => [r.module_name, r]));
      return names.map((n) => byName.get(n));
    }),
  };
}

type Args = Record<string, unknown>;
const MAX_LIMIT = 1000;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function equals(args: Args, fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [arg, field] of Object.entries(fields)) {
    const v = str(args[arg]);
    if (v !== undefined) out[field] = v;
  }
  return out;
}

async function listPage<T extends Audit>(
  table: Table<T>,
  ctx: ManagementContext,
  args: Args,
  filter: ListFilter,
  key: string,
) {
  const limit = typeof args['limit'] === 'number' ? args['limit'] : 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new ManagementError('BAD_USER_INPUT', `limit must be between 1 and ${MAX_LIMIT}`);
  }
  // The older clients send pageNumber 0 for the first page.
  const pageNumber = Math.max(1, typeof args['pageNumber'] === 'number' ? args['pageNumber'] : 1);
  const after = str(args['after']);
  const [page, total] = await Promise.all([
    table.list(
      ctx.partition,
      after ? { limit, filter, cursor: after } : { limit, filter, offset: (pageNumber - 1) * limit },
    ),
    table.count(ctx.partition, filter),
  ]);
  return {
    [key]: page.items.map(toGraphql),
    pageSize: limit,
    pageNumber,
    total,
    nextCursor: page.cursor ?? null,
  };
}

const one = async <T extends Audit>(table: Table<T>, ctx: ManagementContext, key: unknown) => {
  const row = await table.get(ctx.partition, String(key));
  return row ? toGraphql(row) : null;
};

const updatedBy = (args: Args): string => {
  const v = str(args['updatedBy']);
  if (!v) throw new ManagementError('BAD_USER_INPUT', 'updatedBy must not be empty');
  return v;
};

/**
 * Content with `contentInS3: true` is offloaded by the daemon itself, under the caller's partition. A client may not
 * point a new record at blob content it did not give (that would read whatever sits at that key); the flag is kept
 * only where the record already had it.
 */
async function contentFields(
  ctx: ManagementContext,
  uuid: string,
  a: Args,
  before: FunctionCallRecord | undefined,
): Promise<Pick<FunctionCallRecord, 'content' | 'content_in_s3'>> {
  const given = a['content'];
  if (given !== undefined && given !== null) {
    if (a['contentInS3'] !== true) return { content: given, content_in_s3: false };
    await writeContent(ctx.blobs, ctx.partition, uuid, given);
    return { content: null, content_in_s3: true };
  }
  if (before) return { content: before.content, content_in_s3: before.content_in_s3 };
  return { content: null, content_in_s3: false };
}

function keysOf(ctx: ManagementContext): ApiKeyDirectory {
  if (!ctx.apiKeys) throw new ManagementError('UNAVAILABLE', 'API keys are not enabled');
  return ctx.apiKeys;
}

const apiKeyShape = (r: ApiKeyRecord) => ({
  id: r.id,
  endpointId: r.endpointId,
  role: r.role,
  label: r.label ?? null,
  createdAt: r.created_at,
  createdBy: r.created_by ?? null,
  expiresAt: r.expires_at ?? null,
  revokedAt: r.revoked_at ?? null,
});

export const resolvers = {
  JSON: JSONScalar,
  Query: {
    ping: () => 'pong',
    apiKeyList: async (_: unknown, _a: Args, ctx: ManagementContext) => {
      const endpointId = endpointOf(ctx.partition);
      return (await keysOf(ctx).list(endpointId)).map(apiKeyShape);
    },
    mcpFunction: (_: unknown, a: Args, ctx: ManagementContext) => one(ctx.store.functions, ctx, a['name']),
    mcpFunctionList: (_: unknown, a: Args, ctx: ManagementContext) =>
      listPage(
        ctx.store.functions,
        ctx,
        a,
        {
          equals: equals(a, {
            mcpType: 'mcp_type',
            moduleName: 'module_name',
            className: 'class_name',
            functionName: 'function_name',
            description: 'description',
          }),
        },
        'mcpFunctionList',
      ),
    mcpFunctionCall: (_: unknown, a: Args, ctx: ManagementContext) =>
      one(ctx.store.calls, ctx, a['mcpFunctionCallUuid']),
    mcpFunctionCallList: (_: unknown, a: Args, ctx: ManagementContext) => {
      const filter: { -readonly [K in keyof ListFilter]: ListFilter[K] } = {
        equals: equals(a, { mcpType: 'mcp_type', name: 'name', status: 'status' }),
      };
      const gt = str(a['updatedAtGt']);
      const lt = str(a['updatedAtLt']);
      if (gt) filter.updatedAfter = gt;
      if (lt) filter.updatedBefore = lt;
      return listPage(ctx.store.calls, ctx, a, filter, 'mcpFunctionCallList');
    },
    mcpModule: (_: unknown, a: Args, ctx: ManagementContext) => one(ctx.store.modules, ctx, a['moduleName']),
    mcpModuleList: (_: unknown, a: Args, ctx: ManagementContext) =>
      listPage(
        ctx.store.modules,
        ctx,
        a,
        { equals: equals(a, { moduleName: 'module_name', packageName: 'package_name' }) },
        'mcpModuleList',
      ),
    mcpSetting: (_: unknown, a: Args, ctx: ManagementContext) => one(ctx.store.settings, ctx, a['settingId']),
    mcpSettingList: (_: unknown, a: Args, ctx: ManagementContext) =>
      listPage(
        ctx.store.settings,
        ctx,
        a,
        { equals: equals(a, { settingId: 'setting_id' }) },
        'mcpSettingList',
      ),
  },
  McpFunction: {
    module: async (f: { moduleName?: unknown }, _: Args, ctx: ManagementContext) => {
      if (typeof f.moduleName !== 'string') return null;
      const m = await ctx.loaders.module.load(f.moduleName);
      return m ? toGraphql(m) : null;
    },
  },
  McpFunctionCall: {
    content: async (
      c: { content?: unknown; contentInS3?: unknown; mcpFunctionCallUuid: string; partitionKey: string },
      _: Args,
      ctx: ManagementContext,
    ) => {
      if (c.contentInS3 !== true || (c.content !== null && c.content !== undefined)) return c.content ?? null;
      return readContent(ctx.blobs, c.partitionKey, c.mcpFunctionCallUuid);
    },
  },
  Mutation: {
    insertUpdateMcpFunction: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const name = str(a['name']);
      const mcpType = str(a['mcpType']);
      if (!name) throw new ManagementError('BAD_USER_INPUT', 'name must not be empty');
      if (mcpType !== 'tool' && mcpType !== 'resource' && mcpType !== 'prompt') {
        throw new ManagementError('BAD_USER_INPUT', 'mcpType must be tool, resource or prompt');
      }
      const data = a['data'] ?? {};
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        throw new ManagementError('BAD_USER_INPUT', 'data must be a JSON object');
      }
      const row = await ctx.store.functions.put({
        partition_key: ctx.partition,
        name,
        mcp_type: mcpType,
        description: str(a['description']) ?? null,
        data: data as Record<string, unknown>,
        annotations: str(a['annotations']) ?? null,
        module_name: str(a['moduleName']) ?? null,
        class_name: str(a['className']) ?? null,
        function_name: str(a['functionName']) ?? null,
        return_type: str(a['returnType']) ?? null,
        is_async: a['isAsync'] === true,
        ...(a['timeoutMs'] === undefined || a['timeoutMs'] === null
          ? {}
          : { timeout_ms: positiveTimeout(a['timeoutMs']) }),
        updated_by: updatedBy(a),
      });
      await ctx.refresh(ctx.partition);
      return { mcpFunction: toGraphql(row) };
    },
    deleteMcpFunction: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const ok = await ctx.store.functions.delete(ctx.partition, String(a['name']));
      if (ok) await ctx.refresh(ctx.partition);
      return { ok };
    },
    insertUpdateMcpFunctionCall: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const uuid = str(a['mcpFunctionCallUuid']) ?? randomUUID();
      if (!CALL_UUID.test(uuid)) {
        throw new ManagementError('BAD_USER_INPUT', 'mcpFunctionCallUuid must match [A-Za-z0-9_.-]{1,128}');
      }
      const before = await ctx.store.calls.get(ctx.partition, uuid);
      const pick = <K extends keyof FunctionCallRecord>(
        arg: string,
        field: K,
        fallback: FunctionCallRecord[K],
      ) =>
        (a[arg] === undefined || a[arg] === null
          ? (before?.[field] ?? fallback)
          : a[arg]) as FunctionCallRecord[K];
      const row = await ctx.store.calls.put({
        partition_key: ctx.partition,
        mcp_function_call_uuid: uuid,
        name: pick('name', 'name', ''),
        mcp_type: pick('mcpType', 'mcp_type', 'tool'),
        arguments: pick('arguments', 'arguments', {}),
        ...(await contentFields(ctx, uuid, a, before)),
        status: pick('status', 'status', 'initial'),
        notes: pick('notes', 'notes', null),
        time_spent: pick('timeSpent', 'time_spent', null),
        updated_by: updatedBy(a),
      });
      return { mcpFunctionCall: toGraphql(row) };
    },
    deleteMcpFunctionCall: async (_: unknown, a: Args, ctx: ManagementContext) => ({
      ok: await ctx.store.calls.delete(ctx.partition, String(a['mcpFunctionCallUuid'])),
    }),
    insertUpdateMcpModule: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const moduleName = str(a['moduleName']);
      const packageName = str(a['packageName']);
      if (!moduleName || !packageName) {
        throw new ManagementError('BAD_USER_INPUT', 'moduleName and packageName must not be empty');
      }
      const classes = Array.isArray(a['classes']) ? (a['classes'] as unknown[]) : [];
      const before = await ctx.store.modules.get(ctx.partition, moduleName);
      const row = await ctx.store.modules.put({
        partition_key: ctx.partition,
        module_name: moduleName,
        package_name: packageName,
        classes: classes.filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null),
        source: str(a['source']) ?? null,
        // A new source or package means the recorded bundle version no longer applies.
        bundle_version:
          before && before.package_name === packageName && before.source === (str(a['source']) ?? null)
            ? (before.bundle_version ?? null)
            : null,
        bundle_sha256:
          before && before.package_name === packageName && before.source === (str(a['source']) ?? null)
            ? (before.bundle_sha256 ?? null)
            : null,
        updated_by: updatedBy(a),
      });
      await ctx.refresh(ctx.partition);
      return { mcpModule: toGraphql(row) };
    },
    deleteMcpModule: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const ok = await ctx.store.modules.delete(ctx.partition, String(a['moduleName']));
      if (ok) await ctx.refresh(ctx.partition);
      return { ok };
    },
    insertUpdateMcpSetting: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const setting = a['setting'] ?? {};
      if (typeof setting !== 'object' || setting === null || Array.isArray(setting)) {
        throw new ManagementError('BAD_USER_INPUT', 'setting must be a JSON object');
      }
      const row = await ctx.store.settings.put({
        partition_key: ctx.partition,
        setting_id: str(a['settingId']) ?? randomUUID(),
        setting: setting as Record<string, unknown>,
        updated_by: updatedBy(a),
      });
      await ctx.refresh(ctx.partition);
      return { mcpSetting: toGraphql(row) };
    },
    deleteMcpSetting: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const ok = await ctx.store.settings.delete(ctx.partition, String(a['settingId']));
      if (ok) await ctx.refresh(ctx.partition);
      return { ok };
    },
    loadMcpConfiguration: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const by = updatedBy(a);
      const moduleName = str(a['moduleName']) ?? str(a['packageName']);
      const packageName = str(a['packageName']) ?? moduleName;
      if (!moduleName || !packageName) return { ok: false, message: 'packageName or moduleName is required' };
      let file;
      try {
        file = parseRegistry(a['mcpConfiguration'] ?? {}, 'mcpConfiguration');
      } catch (err) {
        if (err instanceof ConfigError) return { ok: false, message: err.message };
        throw err;
      }
      const variables = a['variables'];
      const classes: Record<string, unknown>[] = [];
      if (typeof variables === 'object' && variables !== null && !Array.isArray(variables)) {
        await ctx.store.settings.put({
          partition_key: ctx.partition,
          setting_id: moduleName,
          setting: variables as Record<string, unknown>,
          updated_by: by,
        });
        classes.push({ setting_id: moduleName });
      }
      await ctx.store.modules.put({
        partition_key: ctx.partition,
        module_name: moduleName,
        package_name: packageName,
        classes,
        source: str(a['source']) ?? null,
        updated_by: by,
      });
      const rows = functionRows(ctx.partition, file, by, moduleName);
      for (const r of rows) await ctx.store.functions.put(r);
      await ctx.refresh(ctx.partition);
      return { ok: true, message: `Loaded ${rows.length} functions into module ${moduleName}` };
    },
    createApiKey: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const role = str(a['role']);
      if (!isRole(role)) throw new ManagementError('BAD_USER_INPUT', 'role must be caller, editor or admin');
      const expires = str(a['expiresAt']);
      const expiresAt = expires === undefined ? undefined : new Date(expires);
      if (expiresAt && Number.isNaN(expiresAt.getTime())) {
        throw new ManagementError('BAD_USER_INPUT', 'expiresAt must be an ISO-8601 date');
      }
      const label = str(a['label']);
      const created = await createApiKey(keysOf(ctx), {
        endpointId: endpointOf(ctx.partition),
        role,
        ...(label ? { label } : {}),
        ...(expiresAt ? { expiresAt } : {}),
        ...(ctx.principal ? { createdBy: ctx.principal.id } : {}),
      });
      return { key: created.key, apiKey: apiKeyShape(created.record) };
    },
    revokeApiKey: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const id = String(a['id']);
      const record = await keysOf(ctx).get(id);
      // A key of another endpoint is answered like one that does not exist.
      if (!record || record.endpointId !== endpointOf(ctx.partition)) return { ok: false };
      return { ok: await keysOf(ctx).revoke(id, new Date().toISOString()) };
    },
    deployBundle: async (_: unknown, a: Args, ctx: ManagementContext) => {
      const zip = Buffer.from(String(a['zipBase64'] ?? ''), 'base64');
      if (zip.length === 0) throw new ManagementError('BAD_USER_INPUT', 'zipBase64 must hold a zip file');
      const result = await ctx.deploy({
        partition: ctx.partition,
        zip,
        updatedBy: updatedBy(a),
        ...(a['manifest'] !== undefined && a['manifest'] !== null ? { manifest: a['manifest'] } : {}),
        ...(str(a['packageName']) ? { packageName: str(a['packageName']) as string } : {}),
      });
      return {
        ok: true,
        message: `Deployed ${result.packageName} version ${result.version}`,
        packageName: result.packageName,
        bundleVersion: result.version,
        bundleSha256: result.sha256,
        functions: result.functions,
        removed: result.removed,
      };
    },
  },
};

/** A per-function time limit: whole milliseconds from 10 ms to a day. */
function positiveTimeout(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 10 || value > 86_400_000) {
    throw new ManagementError('BAD_USER_INPUT', 'timeoutMs must be a whole number of ms from 10 to 86400000');
  }
  return value;
}
