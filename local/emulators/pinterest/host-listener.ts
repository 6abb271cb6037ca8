import type { RequestListener, Server } from 'node:http';
import { createGuardedServer } from '../../guard';
import { closeServer, listen } from '../../listen';

/**
 * One host's listening socket. `refuse(ms)` makes the host unreachable the way a crashed or
 * restarting server is: the listening socket is closed, so connecting fails with ECONNREFUSED, and
 * open connections are closed too (or keep-alive clients would carry on unaffected). Afterwards a
 * fresh server listens on the same port again. Every server it opens is guarded (../../guard.ts):
 * loopback Host names only, no foreign Origin.
 */


export class HostListener {
  private reopenTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private server: Server,
    private readonly listener: RequestListener,
    private readonly bind: string,
    readonly port: number,
  ) {}

  static async open(listener: RequestListener, bind: string, port: number): Promise<HostListener> {
    const server = createGuardedServer(listener);
    return new HostListener(server, listener, bind, await listen(server, port, bind));
  }

  /** Stops listening for `ms` from now (a second call while refusing restarts the wait). */
  refuse(ms: number): void {
    if (this.closed) return;
    if (this.reopenTimer === undefined) {
      closeServer(this.server).catch((error: unknown) => {
        console.error('Pinterest emulator: closing a host failed', error);
      });
    }
    clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => {
      this.reopen();
    }, ms);
    // A pending reopen must not keep a test process alive on its own.
    this.reopenTimer.unref();
  }

  /** Listens again now if the host is refusing connections. */
  restore(): void {
    if (this.reopenTimer === undefined || this.closed) return;
    clearTimeout(this.reopenTimer);
    this.reopen();
  }

  private reopen(): void {
    this.reopenTimer = undefined;
    this.server = createGuardedServer(this.listener);
    listen(this.server, this.port, this.bind).catch((error: unknown) => {
      console.error(`Pinterest emulator: could not listen on port ${this.port} again`, error);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    await closeServer(this.server);
  }
}
