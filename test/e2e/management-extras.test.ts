/**
 * Management API extras: GraphiQL only when asked for, and a list over 10,000 recorded calls answered with one list
 * and one count against the store, whatever the page.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { graphql } from './support.js';

describe('GraphiQL', () => {
  it('is served per endpoint with MCPD_GRAPHIQL=true, and not otherwise', async () => {
    const on = await startDaemon({ MCPD_GRAPHIQL: 'true' }, null);
    const off = await startDaemon({}, null);
    try {
      const page = await fetch(`${on.url}/tenant1/graphiql`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain("new URL('./mcp_core_graphql', location.href)");
      expect(html).toContain('tenant1');
      expect((await fetch(`${off.url}/tenant1/graphiql`)).status).toBe(404);
    } finally {
      await Promise.all([on.close(), off.close()]);
    }
  });
});

describe('lists over 10,000 calls', () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    d = await startDaemon({}, null);
    for (let i = 0; i < 10_000; i++) {
      await d.daemon.store.calls.put({
        partition_key: 'big',
        mcp_function_call_uuid: `call-${String(i).padStart(5, '0')}`,
        name: i % 2 ? 'odd' : 'even',
        mcp_type: 'tool',
        arguments: { i },
        content: [{ type: 'text', text: String(i) }],
        content_in_s3: false,
        status: i % 10 === 0 ? 'failed' : 'completed',
        notes: null,
        time_spent: i / 100,
        updated_by: 'seed',
      });
    }
  });
  afterAll(async () => d.close());

  it('answer any page with one list and one count against the store', async () => {
    const list = vi.spyOn(d.daemon.store.calls, 'list');
    const count = vi.spyOn(d.daemon.store.calls, 'count');
    const reply = await graphql(
      d.url,
      'big',
      `
        {
          mcpFunctionCallList(pageNumber: 5, limit: 100, status: "failed") {
            total
            pageNumber
            pageSize
            nextCursor
            mcpFunctionCallList {
              mcpFunctionCallUuid
              timeSpent
            }
          }
        }
      `,
    );
    expect(reply.errors).toBeUndefined();
    const page = reply.data?.['mcpFunctionCallList'] as {
      total: number;
      mcpFunctionCallList: { mcpFunctionCallUuid: string; timeSpent: number }[];
      nextCursor: string | null;
    };
    expect(page.total).toBe(1000);
    // Page 5 of the failed calls (every tenth call): 400 skipped, so the first is call 4,000.
    expect(page.mcpFunctionCallList[0]).toEqual({ mcpFunctionCallUuid: 'call-04000', timeSpent: 40 });
    expect(page.mcpFunctionCallList).toHaveLength(100);
    expect(page.nextCursor).toBeDefined();
    expect(list).toHaveBeenCalledTimes(1);
    expect(count).toHaveBeenCalledTimes(1);
  });
});

describe('an unreachable store', () => {
  it('answers 503 for endpoints it would load, while /health and loaded endpoints keep serving', async () => {
    const d = await startDaemon(
      {
        MCPD_STORE: 'dynamodb',
        DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
        AWS_MAX_ATTEMPTS: '1',
      },
      undefined,
    );
    try {
      const res = await fetch(`${d.url}/tenant1/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toBe('Service Unavailable: the registry store cannot be reached');
      expect((await fetch(`${d.url}/health`)).status).toBe(200);
      // The config file's endpoint does not depend on the store.
      const demo = await fetch(`${d.url}/default/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(demo.status).toBe(200);
    } finally {
      await d.close();
    }
  });
});

describe('per-function time limits through the management API', () => {
  it('stores timeoutMs on a function, reads it back, and refuses nonsense', async () => {
    const d = await startDaemon({}, null);
    try {
      const put = (timeoutMs: unknown) =>
        graphql(
          d.url,
          'timed',
          `
            mutation ($t: Int) {
              insertUpdateMcpFunction(
                name: "slow"
                mcpType: "tool"
                moduleName: "m"
                functionName: "slow"
                timeoutMs: $t
                updatedBy: "test"
              ) {
                mcpFunction {
                  name
                  timeoutMs
                }
              }
            }
          `,
          { t: timeoutMs },
        );
      const ok = await put(750);
      expect(ok.errors).toBeUndefined();
      expect(ok.data?.['insertUpdateMcpFunction']).toEqual({ mcpFunction: { name: 'slow', timeoutMs: 750 } });
      expect((await d.daemon.store.functions.get('timed', 'slow'))?.timeout_ms).toBe(750);
      const bad = await put(5);
      expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(bad.errors?.[0]?.message).toMatch(/timeoutMs must be/);
      const cleared = await put(null);
      expect(cleared.errors).toBeUndefined();
    } finally {
      await d.close();
    }
  });
});
