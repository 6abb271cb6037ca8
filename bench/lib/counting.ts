import type { MiddlewareStack } from '@smithy/types';

/**
 * Counts AWS requests at the SDK clients (a middleware on each client's stack), and how many of them
 * were sequential: a "round trip" is a stretch of time with at least one request in flight, so
 * requests sent in parallel share one round trip and requests sent one after another each add one.
 */

export interface Counted {
  /** Requests by `Service.Command`. */
  requests: Record<string, number>;
  total: number;
  roundTrips: number;
}

export class RequestCounter {
  private inFlight = 0;
  private counted: Counted = { requests: {}, total: 0, roundTrips: 0 };

  /** Adds the counting middleware to a client's stack (idempotent per stack). */
  instrument(service: string, stack: MiddlewareStack<object, object>): void {
    const name = `count-${service}`;
    if (stack.identify().some((entry) => entry.startsWith(name))) return;
    stack.add(
      (next, context) => async (args) => {
        const key = `${service}.${((context as { commandName?: string }).commandName ?? 'unknown').replace(/Command$/, '')}`;
        return this.track(key, () => next(args));
      },
      { step: 'initialize', name },
    );
  }

  /** Counts a request made outside the AWS SDK (a Pinterest call), in the same round-trip accounting. */
  async track<T>(key: string, call: () => Promise<T>): Promise<T> {
    this.counted.requests[key] = (this.counted.requests[key] ?? 0) + 1;
    this.counted.total += 1;
    if (this.inFlight === 0) this.counted.roundTrips += 1;
    this.inFlight += 1;
    try {
      return await call();
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Counts what `fn` sends, from zero. */
  async during(fn: () => Promise<unknown>): Promise<Counted> {
    this.counted = { requests: {}, total: 0, roundTrips: 0 };
    await fn();
    const result = this.counted;
    this.counted = { requests: {}, total: 0, roundTrips: 0 };
    return result;
  }
}
