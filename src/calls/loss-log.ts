/**
 * Call records lost (refused by the store for good, over what its writer may hold, or held by a writer that stopped):
 * counted, and logged at most once a second while they keep being lost, so that a long outage does not flood the
 * log. What was lost since the last line is logged by `flush` (at close).
 */
import type { Logger } from '../observability/logger.js';

export class LossLog {
  private loggedAt = Number.NEGATIVE_INFINITY;
  private since = 0;

  constructor(
    private readonly logger: Logger,
    private readonly count: (records: number) => void,
  ) {}

  lost(err: Error, records: number): void {
    this.count(records);
    this.since += records;
    const now = performance.now();
    if (now - this.loggedAt < 1000) return;
    this.logger.error({ err, records: this.since }, 'call records lost');
    this.loggedAt = now;
    this.since = 0;
  }

  flush(): void {
    if (this.since === 0) return;
    this.logger.error({ records: this.since }, 'call records lost');
    this.since = 0;
  }
}
