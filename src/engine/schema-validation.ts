/**
 * JSON Schema validation of tool input and output with ajv: 2020-12 by default, draft-07 when the schema says so.
 * ajv is imported on first use (it costs ~35 ms to load), and each schema is compiled once and cached.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';

type Compiler = (schema: object) => ValidateFunction;

interface Compilers {
  d2020: Compiler;
  d07: Compiler;
}

let compilers: Promise<Compilers> | undefined;

async function load(): Promise<Compilers> {
  const [{ Ajv2020 }, ajvDefault, formats] = await Promise.all([
    import('ajv/dist/2020.js'),
    import('ajv'),
    import('ajv-formats'),
  ]);
  const Ajv07 = ajvDefault.Ajv;
  const addFormats = formats.default as unknown as (ajv: object) => void;
  const opts = { strict: false, allErrors: true, useDefaults: true, validateFormats: true } as const;
  const a2020 = new Ajv2020(opts);
  const a07 = new Ajv07(opts);
  addFormats(a2020);
  addFormats(a07);
  return { d2020: (s) => a2020.compile(s), d07: (s) => a07.compile(s) };
}

const cache = new WeakMap<object, ValidateFunction | Error>();
/**
 * Compiled validators by schema text: endpoints (and reloads) that declare the same schema share one validator,
 * so a thousand tenants with similar tools cost one compilation and one warm JIT'd function, not a thousand.
 */
const byText = new Map<string, ValidateFunction | Error>();

export interface ValidationOutcome {
  ok: boolean;
  message?: string;
}

const DRAFT_07 = /draft-0[4-7]/;

/**
 * Validates (and fills defaults into) `value`. A schema that does not compile is reported, never thrown.
 * Synchronous once the schema is compiled, so the hot path pays no extra promise.
 */
export function validate(schema: object, value: unknown): ValidationOutcome | Promise<ValidationOutcome> {
  const fn = cache.get(schema);
  return fn ? check(fn, value) : compileThenValidate(schema, value);
}

async function compileThenValidate(schema: object, value: unknown): Promise<ValidationOutcome> {
  let fn = cache.get(schema);
  if (!fn) {
    const text = JSON.stringify(schema);
    fn = byText.get(text);
    if (!fn) {
      const c = await (compilers ??= load());
      const dialect = (schema as { $schema?: unknown }).$schema;
      try {
        // ajv keeps a schema it compiled; a copy keeps later edits of the catalog's object out of it.
        const own = JSON.parse(text) as object;
        fn = typeof dialect === 'string' && DRAFT_07.test(dialect) ? c.d07(own) : c.d2020(own);
      } catch (err) {
        fn = err instanceof Error ? err : new Error(String(err));
      }
      byText.set(text, fn);
    }
    cache.set(schema, fn);
  }
  return check(fn, value);
}

function check(fn: ValidateFunction | Error, value: unknown): ValidationOutcome {
  if (fn instanceof Error) return { ok: false, message: `Invalid schema: ${fn.message}` };
  if (fn(value)) return { ok: true };
  return { ok: false, message: describe(fn.errors ?? []) };
}

function describe(errors: readonly ErrorObject[]): string {
  return errors
    .slice(0, 10)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}
