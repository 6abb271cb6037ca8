import type { FaultRegistry } from './faults';
import type { RateLimiter } from './rate-limit';
import type { EmulatorStore } from './state';
import type { LoggedRequest, PinterestEmulatorUrls, PinterestEnvironment } from './types';

/** The API hosts' listeners, for the `refuse_connection` fault (./host-listener.ts). */
export interface ConnectionControl {
  refuse(environment: PinterestEnvironment, ms: number): void;
  /** Every refusing host listens again now. */
  restoreAll(): void;
}

/** Everything the three hosts share: one state, one fault list, one log. */
export interface EmulatorService {
  store: EmulatorStore;
  faults: FaultRegistry;
  limiter: RateLimiter;
  log: RequestLog;
  clock: () => Date;
  /** Filled in once the servers listen (pages link to the www host). */
  urls: PinterestEmulatorUrls;
  /** Likewise filled in once the servers listen. */
  connections: ConnectionControl;
}

/** Bounded so a long `npm start` session does not grow memory without limit; tests see far fewer. */
const MAX_LOGGED_REQUESTS = 2000;

export class RequestLog {
  private entries: LoggedRequest[] = [];

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > MAX_LOGGED_REQUESTS) this.entries.splice(0, this.entries.length - MAX_LOGGED_REQUESTS);
  }

  /** Copies, so callers cannot change the log. */
  all(): LoggedRequest[] {
    return structuredClone(this.entries);
  }

  clear(): void {
    this.entries = [];
  }
}
