import { randomUUID } from 'node:crypto';
import type { FunctionId, ScheduleSpec } from '../shared/routes';

/**
 * Asynchronous work in local mode: `Event` invocations run in the background of the local server
 * (retried twice on failure, as Lambda does, with short delays), and schedules from the schedule
 * table run on timers, with `trigger` to run one now.
 */

export type Invoke = (fn: FunctionId, event: unknown) => Promise<unknown>;

export interface BackgroundOptions {
  invoke: Invoke;
  schedules: readonly ScheduleSpec[];
  /** Delay before each retry (Lambda waits about 1 and 2 minutes; local mode much less). */
  retryDelaysMs?: readonly number[];
  log?: (line: string) => void;
}

export class Background {
  private readonly running = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly retryDelaysMs: readonly number[];
  private readonly log: (line: string) => void;
  private stopped = false;

  constructor(private readonly options: BackgroundOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? [1000, 2000];
    this.log = options.log ?? (() => undefined);
  }

  /** Queues an asynchronous invocation and returns at once (Lambda's `InvocationType: Event`). */
  invokeAsync(fn: FunctionId, event: unknown): string {
    const id = randomUUID();
    const run = this.runWithRetries(fn, event, id).finally(() => this.running.delete(run));
    this.running.add(run);
    return id;
  }

  private async runWithRetries(fn: FunctionId, event: unknown, id: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.invoke(fn, event);
        return;
      } catch (error) {
        const delay = this.retryDelaysMs[attempt];
        const reason = error instanceof Error ? error.message : 'unknown error';
        if (delay === undefined || this.stopped) {
          this.log(`[local] async ${fn} ${id} failed for good: ${reason}`);
          return;
        }
        this.log(`[local] async ${fn} ${id} failed (${reason}); retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Starts a timer for every schedule. */
  startSchedules(): void {
    for (const schedule of this.options.schedules) {
      const timer = setInterval(() => {
        this.trigger(schedule.name);
      }, schedule.rateMinutes * 60_000);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Runs a schedule now, in the background; false when no schedule has that name. */
  trigger(name: string): boolean {
    const schedule = this.options.schedules.find((s) => s.name === name);
    if (schedule === undefined) return false;
    this.invokeAsync(schedule.fn, scheduledEvent(schedule));
    return true;
  }

  /** Resolves when nothing is running (tests, and a clean stop). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.idle();
  }
}

/** The event EventBridge delivers for a schedule. */
export function scheduledEvent(schedule: ScheduleSpec, now = new Date()) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'local',
    resources: [`arn:aws:events:local:000000000000:rule/${schedule.name}`],
    detail: {},
  };
}
