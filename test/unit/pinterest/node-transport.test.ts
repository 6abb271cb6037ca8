import { CONNECT_TIMEOUT_CODE, failedBeforeSend, networkErrorCode, nodeTransport, type HttpRequest } from '../../../shared/adapters/pinterest/http';
import { closedPort, httpServer, selfSignedCertificate, silentServer, type Handler, type Loopback } from '../../support/loopback';

/**
 * The default transport (node:http / node:https) against servers on 127.0.0.1: what it sends, what
 * it answers, which connection it uses, and how each way of failing is classified (before send, so
 * safe to repeat, or maybe processed).
 */

const get = (timeoutMs = 5000): HttpRequest => ({ method: 'GET', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
const post = (body: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
  signal: AbortSignal.timeout(5000),
  ...extra,
});
const json = (status: number, body: unknown, headers: Record<string, string | string[]> = {}): Handler => (_req, res) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
};
/** Answers after `ms`, unless the client went away first. */
const later = (ms: number, handler: Handler): Handler => (req, res, body) => {
  const timer = setTimeout(() => {
    handler(req, res, body);
  }, ms);
  res.on('close', () => {
    clearTimeout(timer);
  });
};
const failure = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => { throw new Error('expected the call to fail'); }, (error: unknown) => error);

const open: Loopback[] = [];
async function server(...args: Parameters<typeof httpServer>) {
  const started = await httpServer(...args);
  open.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('nodeTransport over http', () => {
  it('sends the method, headers and body with its length, and answers status, headers and the whole body', async () => {
    const s = await server(json(201, { id: 'é1' }, { 'x-pinterest-rid': 'rid-9', 'set-cookie': ['a=1', 'b=2'] }));
    const response = await nodeTransport()(`http://127.0.0.1:${s.port}/v5/pins?x=1`, post('{"title":"é"}', { headers: { 'content-type': 'application/json', authorization: 'Bearer pina_t' } }));
    expect(response.status).toBe(201);
    expect(response.headers.get('X-Pinterest-Rid')).toBe('rid-9');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(response.headers.get('x-absent')).toBeNull();
    expect(JSON.parse(await response.text())).toEqual({ id: 'é1' });
    const [sent] = s.requests;
    expect(sent?.req.method).toBe('POST');
    expect(sent?.req.url).toBe('/v5/pins?x=1');
    expect(sent?.req.headers).toMatchObject({ authorization: 'Bearer pina_t', 'content-type': 'application/json', 'content-length': '14', host: `127.0.0.1:${s.port}` });
    expect(sent?.body).toBe('{"title":"é"}');
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const s = await server((_req, res) => {
      res.writeHead(302, { location: '/elsewhere', 'content-length': '0' });
      res.end();
    });
    const response = await nodeTransport()(`http://127.0.0.1:${s.port}/v5/user_account`, get());
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/elsewhere');
    expect(s.requests).toHaveLength(1);
  });

  it('reuses one keep-alive connection for ordinary calls', async () => {
    const s = await server(json(200, { ok: true }));
    const transport = nodeTransport();
    for (let i = 0; i < 5; i++) expect((await transport(`http://127.0.0.1:${s.port}/v5/boards`, get())).status).toBe(200);
    expect(s.connections()).toBe(1);
    expect(s.requests.map((r) => r.req.headers.connection)).toEqual(Array(5).fill('keep-alive'));
  });

  it('opens a new connection for every freshConnection call, closes it after the answer, and leaves the pool alone', async () => {
    const s = await server(json(201, { id: '1' }));
    const transport = nodeTransport();
    const url = `http://127.0.0.1:${s.port}/v5/pins`;
    await transport(url, get());
    for (let i = 0; i < 3; i++) expect((await transport(url, post('{}', { freshConnection: true }))).status).toBe(201);
    await transport(url, get());
    // One pooled connection (both GETs) plus one per Pin creation.
    expect(s.connections()).toBe(4);
    expect(s.requests.map((r) => `${r.req.method ?? ''} ${r.req.headers.connection ?? ''}`)).toEqual(['GET keep-alive', 'POST close', 'POST close', 'POST close', 'GET keep-alive']);
    expect(new Set(s.requests.filter((r) => r.req.method === 'POST').map((r) => r.req.socket))).toHaveProperty('size', 3);
  });

  it('gives up on a slow answer when the signal fires, with the signal\u2019s reason, as maybe processed', async () => {
    const s = await server(later(2000, json(200, {})));
    const error = await failure(nodeTransport()(`http://127.0.0.1:${s.port}/v5/user_account`, get(100)));
    expect(error).toBeInstanceOf(DOMException);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(networkErrorCode(error)).toBe('TimeoutError');
    expect(failedBeforeSend(error)).toBe(false);
    expect(s.requests).toHaveLength(1); // it was sent
  });

  it('does not connect when the signal has already fired', async () => {
    const s = await server(json(200, {}));
    const controller = new AbortController();
    controller.abort();
    const error = await failure(nodeTransport()(`http://127.0.0.1:${s.port}/v5/user_account`, { ...get(), signal: controller.signal }));
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(s.connections()).toBe(0);
  });

  it('stops the connect timer once connected: a new and a reused connection may answer after it', async () => {
    const s = await server(later(300, json(200, { ok: true })));
    const transport = nodeTransport(50);
    const url = `http://127.0.0.1:${s.port}/v5/boards`;
    expect((await transport(url, get())).status).toBe(200); // new connection
    expect((await transport(url, get())).status).toBe(200); // reused
    expect((await transport(url, post('{}', { freshConnection: true }))).status).toBe(200);
    expect(s.connections()).toBe(2);
  });

  it('reports a refused connection as not sent', async () => {
    const error = await failure(nodeTransport()(`http://127.0.0.1:${await closedPort()}/v5/pins`, post('{}', { freshConnection: true })));
    expect(networkErrorCode(error)).toBe('ECONNREFUSED');
    expect(failedBeforeSend(error)).toBe(true);
  });

  it('reports a connection closed after the request arrived, before any answer, as maybe processed', async () => {
    const s = await server((req) => {
      req.socket.destroy();
    });
    const error = await failure(nodeTransport()(`http://127.0.0.1:${s.port}/v5/pins`, post('{"title":"x"}', { freshConnection: true })));
    expect(s.requests).toHaveLength(1);
    expect(networkErrorCode(error)).toBe('ECONNRESET');
    expect(failedBeforeSend(error)).toBe(false);
  });

  it('reports an answer cut short mid-body as maybe processed', async () => {
    const s = await server((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"id":"12', () => {
        setTimeout(() => res.socket?.destroy(), 20);
      });
    });
    const error = await failure(nodeTransport()(`http://127.0.0.1:${s.port}/v5/pins`, post('{}', { freshConnection: true })));
    expect(networkErrorCode(error)).toBe('ECONNRESET');
    expect(failedBeforeSend(error)).toBe(false);
  });
});

describe('nodeTransport over https', () => {
  let tls: { key: string; cert: string };
  beforeAll(() => {
    tls = selfSignedCertificate();
  });

  it('fails with a connect timeout, not sent, when the TLS handshake never completes: no request byte left', async () => {
    // The server accepts TCP and stays silent, so the client's ClientHello is never answered: TCP
    // `connect` fires, `secureConnect` never does. Deterministic on loopback, no unroutable address.
    const silent = await silentServer();
    try {
      const started = Date.now();
      const error = await failure(nodeTransport(150)(`https://127.0.0.1:${silent.port}/v5/pins`, post('{"title":"never sent"}', { freshConnection: true })));
      expect(error).toMatchObject({ code: CONNECT_TIMEOUT_CODE });
      expect(failedBeforeSend(error)).toBe(true);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(silent.connections()).toBe(1);
      const received = silent.received();
      expect(received[0]).toBe(0x16); // a TLS handshake record (the ClientHello) …
      expect(received.toString('latin1')).not.toContain('never sent'); // … and nothing of the request
      expect(received.toString('latin1')).not.toContain('POST');
    } finally {
      await silent.close();
    }
  });

  it('also times out a pooled call whose connection never becomes secure', async () => {
    const silent = await silentServer();
    try {
      const error = await failure(nodeTransport(150)(`https://127.0.0.1:${silent.port}/v5/boards`, get()));
      expect(failedBeforeSend(error)).toBe(true);
    } finally {
      await silent.close();
    }
  });

  it('stops the connect timer at secureConnect, and reuses the TLS connection for ordinary calls', async () => {
    const s = await server(later(800, json(200, { ok: true })), tls);
    const transport = nodeTransport(500, { ca: tls.cert });
    const url = `https://127.0.0.1:${s.port}/v5/boards`;
    expect((await transport(url, get())).status).toBe(200);
    expect((await transport(url, get())).status).toBe(200);
    expect(s.connections()).toBe(1);
    expect((await transport(url, post('{}', { freshConnection: true }))).status).toBe(200);
    expect(s.connections()).toBe(2);
  });

  it('refuses a certificate it does not trust, as maybe processed (the default, cautious reading)', async () => {
    const s = await server(json(200, {}), tls);
    const error = await failure(nodeTransport()(`https://127.0.0.1:${s.port}/v5/boards`, get()));
    expect(networkErrorCode(error)).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(failedBeforeSend(error)).toBe(false);
    expect(s.requests).toHaveLength(0);
  });
});
