/** Store rows (snake_case, as the older engine stored them) to GraphQL objects (camelCase) and back. */
import { endpointOf } from '../store/index.js';

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** A row as a GraphQL object: top-level keys in camelCase, plus `endpointId` from the partition key. */
export function toGraphql(row: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[camel(k)] = v;
  const partition = (row as { partition_key?: unknown }).partition_key;
  if (typeof partition === 'string') out['endpointId'] = endpointOf(partition);
  return out;
}
