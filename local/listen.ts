import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port another process holds. `service` is filled in by whoever knows which server it was for. */
export class PortInUseError extends Error {
  service: string | undefined;

  constructor(readonly port: number) {
    super(`port ${port} is in use`);
    this.name = 'PortInUseError';
  }
}

/** Tags a PortInUseError with the service it was for and rethrows anything else unchanged. */
export function tagPortError<T>(service: string, promise: Promise<T>): Promise<T> {
  return promise.catch((error: unknown) => {
    if (error instanceof PortInUseError) error.service ??= service;
    throw error;
  });
}

/**
 * Listens on `host:port` (0 = a free port) and resolves with the port actually bound. A port that is
 * taken rejects with PortInUseError, so start-up can say which setting to change.
 */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * For servers a library starts itself (and reports a taken port badly or not at all): fails with
 * PortInUseError when `port` cannot be bound now. Port 0 always succeeds.
 */
export async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await listen(probe, port, host);
  await closeServer(probe);
}

/**
 * Stops listening and closes open connections too (`server.close` alone waits for keep-alive
 * clients). Resolves when the server is closed; a server that is not listening resolves at once.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      server.closeAllConnections();
      resolve();
      return;
    }
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
    server.closeAllConnections();
  });
}
