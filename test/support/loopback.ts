import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

/**
 * Servers on 127.0.0.1 for the transport tests, each counting the connections it accepts and keeping
 * what it received. Everything stays on loopback: no test reaches for an unroutable address.
 */

export interface Loopback {
  port: number;
  /** Connections accepted so far (for TLS: handshakes completed). */
  connections(): number;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>): Promise<number> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => {
        resolve();
      });
    });
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** An HTTP (or, with a key pair, HTTPS) server whose answers `handler` writes once the body is read. */
export async function httpServer(handler: Handler, tls?: { key: string; cert: string }): Promise<Loopback & { requests: Array<{ req: IncomingMessage; body: string }> }> {
  const requests: Array<{ req: IncomingMessage; body: string }> = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ req, body });
      handler(req, res, body);
    });
  };
  const server = tls === undefined ? createHttpServer(listener) : createHttpsServer(tls, listener);
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on(tls === undefined ? 'connection' : 'secureConnection', () => {
    connections++;
  });
  const port = await listen(server, sockets);
  return { port, requests, connections: () => connections, close: closer(server, sockets) };
}

/**
 * Accepts TCP connections and never answers a byte: a TLS client connects, sends its ClientHello and
 * waits forever for the handshake to finish. `received` is every byte a client sent.
 */
export async function silentServer(): Promise<Loopback & { received(): Buffer }> {
  const sockets = new Set<Socket>();
  const chunks: Buffer[] = [];
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
  });
  const port = await listen(server, sockets);
  return { port, connections: () => connections, received: () => Buffer.concat(chunks), close: closer(server, sockets) };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server, new Set());
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  return port;
}

/**
 * A self-signed certificate for 127.0.0.1 (EC P-256), kept in test/fixtures/tls so the HTTPS tests
 * need no tool beyond Node. It protects nothing: it exists only for loopback tests.
 */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = join(__dirname, '../fixtures/tls');
  return { key: readFileSync(join(dir, 'loopback-test-key.pem'), 'utf8'), cert: readFileSync(join(dir, 'loopback-test-cert.pem'), 'utf8') };
}
