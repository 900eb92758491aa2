/**
 * `x-mcp-header` (2026-07-28): a tool input property annotated `"x-mcp-header": "Region"` is mirrored by the
 * client in an `Mcp-Param-Region` request header, so gateways can route without parsing bodies. Annotations are
 * checked when a registry loads (clients drop tools whose annotations are invalid), and each call's headers are
 * checked against its arguments.
 */
import { decodeHeaderValue } from '../protocol/modern.js';

export interface HeaderParam {
  /** Property names from the arguments object down to the value. */
  path: string[];
  /** The header name suffix as annotated (`Mcp-Param-<name>`). */
  name: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ALLOWED_TYPES = new Set(['string', 'integer', 'boolean']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The annotated properties of an input schema, or the reason the annotations are invalid. */
export function headerParamsOf(
  schema: unknown,
): { ok: true; params: HeaderParam[] } | { ok: false; reason: string } {
  const params: HeaderParam[] = [];
  const seen = new Set<string>();
  const walk = (node: unknown, path: string[]): string | undefined => {
    if (!isObject(node) || !isObject(node['properties'])) return undefined;
    for (const [key, prop] of Object.entries(node['properties'])) {
      if (!isObject(prop)) continue;
      const name = prop['x-mcp-header'];
      if (name !== undefined) {
        if (typeof name !== 'string' || !TOKEN.test(name))
          return `x-mcp-header of ${[...path, key].join('.')} must be a header token`;
        if (seen.has(name.toLowerCase())) return `x-mcp-header ${name} is used twice`;
        if (typeof prop['type'] !== 'string' || !ALLOWED_TYPES.has(prop['type'])) {
          return `x-mcp-header ${name} must annotate a string, integer or boolean property`;
        }
        seen.add(name.toLowerCase());
        params.push({ path: [...path, key], name });
      }
      const problem = walk(prop, [...path, key]);
      if (problem) return problem;
    }
    return undefined;
  };
  const problem = walk(schema, []);
  return problem ? { ok: false, reason: problem } : { ok: true, params };
}

/** Why the call's `Mcp-Param-*` headers disagree with its arguments, or undefined when they agree. */
export function checkHeaderParams(
  params: readonly HeaderParam[],
  args: unknown,
  header: (name: string) => string | undefined,
): string | undefined {
  for (const p of params) {
    let value: unknown = args;
    for (const key of p.path) value = isObject(value) ? value[key] : undefined;
    if (value === undefined || value === null) continue;
    const raw = header(`mcp-param-${p.name.toLowerCase()}`);
    if (raw === undefined) return `the Mcp-Param-${p.name} header is required`;
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined) return `Mcp-Param-${p.name} is not valid base64 in its =?base64?…?= form`;
    if (!agrees(decoded, value)) return `Mcp-Param-${p.name} does not match the argument ${p.path.join('.')}`;
  }
  return undefined;
}

function agrees(header: string, value: unknown): boolean {
  if (typeof value === 'string') return header === value;
  if (typeof value === 'boolean') return header === String(value);
  if (typeof value === 'number') return /^-?\d+(\.\d+)?$/.test(header) && Number(header) === value;
  return false;
}
