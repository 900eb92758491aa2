// notify.js: tools that emit notifications while running (logging, progress) plus the SSE reconnection probe.

/** test_tool_with_logging (tools-call-with-logging): 3 info logs ~50 ms apart, then a text result. */
export async function toolWithLogging(_args, ctx) {
  ctx.log('info', 'Tool execution started');
  await ctx.sleep(50);
  ctx.log('info', 'Tool processing data');
  await ctx.sleep(50);
  ctx.log('info', 'Tool execution completed');
  return { content: [{ type: 'text', text: 'Tool with logging executed successfully' }] };
}

/** test_tool_with_progress (tools-call-with-progress): progress 0, 50, 100 of 100, ~50 ms apart. */
export async function toolWithProgress(_args, ctx) {
  for (const step of [0, 50, 100]) {
    if (step > 0) await ctx.sleep(50);
    await ctx.progress(step, 100, `Completed step ${step} of 100`);
  }
  return { content: [{ type: 'text', text: 'Progress tool completed: reported 0, 50 and 100 of 100' }] };
}

/**
 * test_reconnection (server-sse-polling, not scored): like the reference server, close the POST SSE
 * connection mid-call (ctx.closeStream, where the runtime offers it), wait, then answer; the client
 * resumes with GET + Last-Event-ID and must get the result replayed. Without closeStream it just answers.
 */
export async function reconnection(_args, ctx) {
  if (typeof ctx.closeStream === 'function') ctx.closeStream();
  await ctx.sleep(100);
  return {
    content: [
      {
        type: 'text',
        text: 'Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.',
      },
    ],
  };
}
