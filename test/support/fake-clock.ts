import type { Clock } from '../../shared/domain/time';

/** A clock tests can move; it lives here, not in production code. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** The same as now(), as a bound function (for options that take `() => Date`). */
  readonly read = (): Date => new Date(this.current);

  /** Whole epoch seconds now. */
  get seconds(): number {
    return Math.floor(this.current / 1000);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(to: Date | string): void {
    this.current = new Date(to).getTime();
  }
}
