// The demo bundle: plain exported functions and one class, as a bundle author would write them.
const startedAt = Date.now();

/** echo: returns its text; the link's return_type "text" turns the string into one text item. */
export function echo({ text }) {
  return text;
}

/** add: returns an object; the tool's outputSchema makes it structuredContent. */
export function add({ a, b }) {
  return { sum: a + b };
}

/** countdown: a class constructed per call with (logger, setting), as in the older engine. */
export class Countdown {
  constructor(logger, setting) {
    this.logger = logger;
    this.setting = setting;
  }

  async run({ n, delayMs }, ctx) {
    for (let i = 0; i < n; i += 1) {
      await ctx.progress(i, n, `${n - i} left`);
      ctx.log('debug', { remaining: n - i }, 'countdown');
      await ctx.sleep(delayMs);
    }
    await ctx.progress(n, n, 'done');
    return `${this.setting.greeting ?? 'Hello'}, countdown from ${n} finished`;
  }
}

export function status() {
  return { status: 'ok', uptimeMs: Date.now() - startedAt };
}

export function greeting({ name }, ctx) {
  return `${ctx.settings.greeting ?? 'Hello'}, ${name}!`;
}

export function summarize({ text, style = 'brief' }) {
  return {
    description: 'Summarize a text',
    messages: [
      { role: 'user', content: { type: 'text', text: `Summarize this text (${style}):\n\n${text}` } },
    ],
  };
}

export function completeStyle({ argument }) {
  if (argument.name !== 'style') return [];
  return ['brief', 'detailed'].filter((s) => s.startsWith(argument.value));
}
