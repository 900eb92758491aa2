/**
 * RFC 6570 URI templates, the subset MCP resource templates use: simple `{var}`, reserved `{+var}`,
 * and comma lists `{a,b}`. Matches a concrete URI back to its variables; expansion is not needed server-side.
 */

export interface UriTemplate {
  readonly source: string;
  readonly variables: readonly string[];
  match(uri: string): Record<string, string> | undefined;
}

const EXPR = /\{([+#./;?&]?)([^}]+)\}/g;

export function parseUriTemplate(source: string): UriTemplate {
  const variables: string[] = [];
  let pattern = '^';
  let last = 0;
  for (const m of source.matchAll(EXPR)) {
    pattern += escapeRe(source.slice(last, m.index));
    const op = m[1] ?? '';
    const names = (m[2] ?? '').split(',').map((n) => n.trim().replace(/\*$|:\d+$/, ''));
    const part = op === '+' || op === '#' ? '(.+?)' : '([^/?#&,]+)';
    const lead = op === '+' || op === '' ? '' : escapeRe(op === '?' ? '?' : op);
    pattern += lead;
    if (op === '?' || op === '&') {
      pattern += names.map((n) => `${escapeRe(n)}=([^&#]*)`).join('&');
    } else {
      pattern += names.map(() => part).join(',');
    }
    variables.push(...names);
    last = (m.index ?? 0) + m[0].length;
  }
  pattern += `${escapeRe(source.slice(last))}$`;
  const re = new RegExp(pattern);
  return {
    source,
    variables,
    match(uri) {
      const found = re.exec(uri);
      if (!found) return undefined;
      const out: Record<string, string> = {};
      variables.forEach((name, i) => {
        out[name] = safeDecode(found[i + 1] ?? '');
      });
      return out;
    },
  };
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
