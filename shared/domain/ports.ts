/** Time and identity come through ports so expiry, TTL and ids are testable with fakes. */

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Whole epoch seconds, the unit of DynamoDB TTL attributes. */
export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** A clock tests can move. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(to: Date | string): void {
    this.current = new Date(to).getTime();
  }
}
