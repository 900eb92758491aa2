/**
 * V8 settings for the daemon process (its worker threads share them), applied by `mcpd serve` and `mcpd stdio`
 * before they start serving.
 *
 * Allocation-site pretenuring off: V8 allocates objects from an allocation site straight into the old generation
 * once most of that site's objects have survived a young collection. A call that crosses to a worker thread spans
 * event-loop turns, so at every young collection the ~32 requests in flight are alive, and sites on the request path
 * get pretenured. From then on every request's objects start old, reference young ones, and keep them alive through
 * young collections until the next full one: with calls at the `worker` level the daemon promoted ~3.5 KB per request,
 * ran a full collection every ~200 ms and lost a quarter of its throughput (measured: 31k → 41k req/s, worker
 * level without recording). Request/response servers gain nothing from pretenuring; long-lived state is allocated
 * once. Not measured by coverage: a process-wide V8 flag has no effect a test could observe; `npm run bench` does.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneV8(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
