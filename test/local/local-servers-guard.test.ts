import { connect } from 'node:net';
import { request, type IncomingHttpHeaders } from 'node:http';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startEmulators, type Emulators } from '../../local/emulators';
import { startPinterestEmulator, type PinterestEmulator } from '../../local/emulators/pinterest';
import { invoke } from '../../local/lambda-runtime';
import type * as LambdaRuntime from '../../local/lambda-runtime';
import { startApiServer, type LocalServer } from '../../local/server';

/**
 * No web page may reach a local server (local/guard.ts): every server (the API stand-in, dynalite,
 * s3rver, SES, Secrets Manager and the three Pinterest emulator hosts) refuses a Host header that is
 * not 127.0.0.1 or localhost (with its own port or none), and any Origin but its own, with a 403 JSON
 * answer, before its handler sees the request: nothing is read, nothing changes. No server sends CORS
 * headers. Requests go out with Node's http.request so the Host header is exactly what the test says.
 * The Pinterest emulator's control routes also require a JSON content type, so a cross-site form or
 * text/plain POST cannot drive them.
 */
jest.mock('../../local/lambda-runtime', () => {
  const actual = jest.requireActual<typeof LambdaRuntime>('../../local/lambda-runtime');
  return { ...actual, invoke: jest.fn(actual.invoke) };
});

const invokeSpy = jest.mocked(invoke);

const MIRA = '1000000000000000001';
const FAKE_SIGV4 = {
  authorization: 'AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
  'x-amz-date': '20260101T000000Z',
};
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Probe {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * One HTTP exchange. `host`: undefined sends Node's own (`127.0.0.1:<port>`), null sends no Host
 * header at all, a string sends exactly that.
 */
function send(baseUrl: string, probe: Probe, host?: string | null): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: probe.method,
        path: probe.path,
        agent: false,
        // Node's own Host only when none is given: it would replace an empty one.
        setHost: host === undefined,
        headers: { ...probe.headers, ...(typeof host === 'string' ? { host } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(probe.body);
  });
}

function corsHeaders(answer: Answer): string[] {
  return Object.keys(answer.headers).filter((name) => name.toLowerCase().startsWith('access-control-'));
}

function expectRefused(answer: Answer, why: 'unexpected Host header' | 'cross-origin requests are refused', sent?: unknown): void {
  expect({ sent, status: answer.status, body: answer.body }).toEqual({ sent, status: 403, body: JSON.stringify({ message: `Forbidden: ${why}` }) });
  expect(answer.headers['content-type']).toBe('application/json');
  expect(corsHeaders(answer)).toEqual([]);
}

let sequence = 0;
/** A fresh id for one probe (lower-case: bucket names allow nothing else). */
function nextId(): string {
  sequence += 1;
  return `g${Date.now().toString(36)}${String(sequence)}`;
}

interface Target {
  name: string;
  url: () => string;
  /** A request that reads or changes something; the id tells probes apart. */
  probe: (id: string) => Probe;
  /** Whether the probe with that id reached the server's handler (read or changed something). */
  handled: (id: string) => Promise<boolean>;
}

let emulators: Emulators;
let pinterest: PinterestEmulator;
let api: LocalServer;
let dynamo: DynamoDBClient;
let s3: S3Client;
let ses: SESClient;
let secrets: SecretsManagerClient;
const tokens = { sandbox: '', production: '' };

beforeAll(async () => {
  emulators = await startEmulators();
  pinterest = await startPinterestEmulator();
  api = await startApiServer(0);
  const region = 'us-east-1';
  dynamo = new DynamoDBClient({ region, credentials, endpoint: emulators.endpoints.dynamodb });
  s3 = new S3Client({ region, credentials, endpoint: emulators.endpoints.s3, forcePathStyle: true });
  ses = new SESClient({ region, credentials, endpoint: emulators.endpoints.ses });
  secrets = new SecretsManagerClient({ region, credentials, endpoint: emulators.endpoints.secretsManager });
  tokens.sandbox = pinterest.controls.issueTokens('sandbox', MIRA, ['user_accounts:read']).accessToken;
  tokens.production = pinterest.controls.issueTokens('production', MIRA, ['user_accounts:read']).accessToken;
});

afterAll(async () => {
  for (const client of [dynamo, s3, ses, secrets]) client.destroy();
  await api.close();
  await pinterest.close();
  await emulators.stop();
});

beforeEach(() => {
  invokeSpy.mockClear();
});

function pinterestApiTarget(environment: 'sandbox' | 'production'): Target {
  return {
    name: `Pinterest emulator (${environment} API)`,
    url: () => pinterest.urls[environment],
    probe: (id) => ({ method: 'GET', path: '/v5/user_account', headers: { authorization: `Bearer ${tokens[environment]}`, 'x-probe': id } }),
    handled: (id) => Promise.resolve(pinterest.controls.requests().some((r) => r.headers['x-probe'] === id)),
  };
}

const targets: Target[] = [
  {
    name: 'API stand-in',
    url: () => api.url,
    probe: (id) => ({ method: 'GET', path: '/health', headers: { 'x-probe': id } }),
    handled: (id) =>
      Promise.resolve(invokeSpy.mock.calls.some(([, event]) => (event as APIGatewayProxyEventV2).headers['x-probe'] === id)),
  },
  {
    name: 'DynamoDB (dynalite)',
    url: () => emulators.endpoints.dynamodb,
    probe: (id) => ({
      method: 'POST',
      path: '/',
      headers: { ...FAKE_SIGV4, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.CreateTable' },
      body: JSON.stringify({
        TableName: id,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    }),
    handled: async (id) => ((await dynamo.send(new ListTablesCommand({}))).TableNames ?? []).includes(id),
  },
  {
    name: 'S3 (s3rver)',
    url: () => emulators.endpoints.s3,
    probe: (id) => ({ method: 'PUT', path: `/${id}` }),
    handled: async (id) => ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).some((b) => b.Name === id),
  },
  {
    name: 'SES (aws-ses-v2-local)',
    url: () => emulators.endpoints.ses,
    probe: (id) => ({
      method: 'POST',
      path: '/',
      headers: { ...FAKE_SIGV4, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        Action: 'SendEmail',
        Source: 'sender@publisher.test',
        'Destination.ToAddresses.member.1': 'operator@publisher.test',
        'Message.Subject.Data': id,
        'Message.Body.Text.Data': 'guard probe',
      }).toString(),
    }),
    handled: async (id) => {
      const store = (await (await fetch(`${emulators.endpoints.ses}/store`)).json()) as { emails: Array<{ subject: string }> };
      return store.emails.some((email) => email.subject === id);
    },
  },
  {
    name: 'Secrets Manager',
    url: () => emulators.endpoints.secretsManager,
    probe: (id) => ({
      method: 'POST',
      path: '/',
      headers: { ...FAKE_SIGV4, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.CreateSecret' },
      body: JSON.stringify({ Name: `guard/${id}`, SecretString: 'probe' }),
    }),
    handled: async (id) => {
      try {
        await secrets.send(new GetSecretValueCommand({ SecretId: `guard/${id}` }));
        return true;
      } catch (error) {
        if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
        throw error;
      }
    },
  },
  {
    name: 'Pinterest emulator (www)',
    url: () => pinterest.urls.www,
    probe: (id) => ({
      method: 'POST',
      path: '/_emulator/register-redirect-uri',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uri: `http://127.0.0.1:9/${id}` }),
    }),
    handled: (id) => Promise.resolve(pinterest.app.redirectUris.includes(`http://127.0.0.1:9/${id}`)),
  },
  pinterestApiTarget('sandbox'),
  pinterestApiTarget('production'),
];

describe.each(targets)('$name', (target) => {
  const port = () => Number(new URL(target.url()).port);
  const otherPort = () => (port() === 65535 ? port() - 1 : port() + 1);

  async function probe(headers: Record<string, string>, host?: string | null): Promise<{ id: string; answer: Answer }> {
    const id = nextId();
    const base = target.probe(id);
    const answer = await send(target.url(), { ...base, headers: { ...base.headers, ...headers } }, host);
    return { id, answer };
  }

  it('works for a loopback Host (with its port or none) and no Origin', async () => {
    for (const host of [undefined, `127.0.0.1:${String(port())}`, '127.0.0.1', `localhost:${String(port())}`, 'localhost', 'LOCALHOST']) {
      const { id, answer } = await probe({}, host);
      expect({ host, succeeded: answer.status >= 200 && answer.status < 300, body: answer.body }).toEqual({ host, succeeded: true, body: answer.body });
      expect(corsHeaders(answer)).toEqual([]);
      await expect(target.handled(id)).resolves.toBe(true);
    }
  });

  it('refuses any other Host with 403 and does nothing', async () => {
    const foreign = [
      null,
      '',
      'rebind.evil.example',
      `rebind.evil.example:${String(port())}`,
      `127.0.0.1:${String(otherPort())}`,
      `localhost:${String(otherPort())}`,
      `[::1]:${String(port())}`,
      '[::1]',
      `0.0.0.0:${String(port())}`,
      `127.0.0.2:${String(port())}`,
      `127.0.0.1.nip.io:${String(port())}`,
      `localhost.:${String(port())}`,
      `127.0.0.1:${String(port())}@evil.example`,
    ];
    for (const host of foreign) {
      const { id, answer } = await probe({}, host);
      expectRefused(answer, 'unexpected Host header', host);
      await expect(target.handled(id)).resolves.toBe(false);
    }
  });

  it('refuses any Origin but its own with 403 and does nothing', async () => {
    const foreign = [
      'https://evil.example',
      'null',
      '',
      `http://127.0.0.1:${String(otherPort())}`,
      `http://localhost:${String(otherPort())}`,
      `https://127.0.0.1:${String(port())}`,
      `http://[::1]:${String(port())}`,
      `http://rebind.evil.example:${String(port())}`,
      'http://127.0.0.1',
    ];
    for (const origin of foreign) {
      const { id, answer } = await probe({ origin });
      expectRefused(answer, 'cross-origin requests are refused', origin);
      await expect(target.handled(id)).resolves.toBe(false);
    }
  });

  it('refuses a CORS preflight from another origin with 403 and no Access-Control-* header', async () => {
    const { answer } = await probe({
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-amz-target,authorization',
    });
    expect(answer.status).toBe(403);
    const preflight = await send(target.url(), {
      method: 'OPTIONS',
      path: target.probe('preflight').path,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-amz-target' },
    });
    expectRefused(preflight, 'cross-origin requests are refused');
  });

  it('accepts its own origin (127.0.0.1 or localhost with its port) and still sends no CORS header', async () => {
    for (const origin of [`http://127.0.0.1:${String(port())}`, `http://localhost:${String(port())}`]) {
      const { id, answer } = await probe({ origin });
      expect(answer.status).toBeLessThan(300);
      expect(corsHeaders(answer)).toEqual([]);
      await expect(target.handled(id)).resolves.toBe(true);
      const preflight = await send(target.url(), {
        method: 'OPTIONS',
        path: target.probe('preflight').path,
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(corsHeaders(preflight)).toEqual([]);
    }
  });

  it('refuses a repeated Host header, even when the first one is right', async () => {
    const url = new URL(target.url());
    const { path } = target.probe(nextId());
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${url.port}\r\nHost: rebind.evil.example\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('end', () => {
        resolve(text);
      });
      socket.on('error', reject);
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(answer).toContain('{"message":"Forbidden: unexpected Host header"}');
  });
});

describe('the cases of the security review', () => {
  it('dynalite: a ListTables sent with Origin https://evil.example gets 403 and no table names', async () => {
    const table = `guard-review-${nextId()}`;
    await dynamo.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const listTables: Probe = {
      method: 'POST',
      path: '/',
      headers: { ...FAKE_SIGV4, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
    };
    const refused = await send(emulators.endpoints.dynamodb, { ...listTables, headers: { ...listTables.headers, origin: 'https://evil.example' } });
    expectRefused(refused, 'cross-origin requests are refused');
    expect(refused.body).not.toContain(table);
    const scan: Probe = {
      method: 'POST',
      path: '/',
      headers: { ...FAKE_SIGV4, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.Scan', origin: 'https://evil.example' },
      body: JSON.stringify({ TableName: table }),
    };
    expectRefused(await send(emulators.endpoints.dynamodb, scan), 'cross-origin requests are refused');
    // The same request without an Origin, as the SDK sends it, lists the table.
    const allowed = await send(emulators.endpoints.dynamodb, listTables);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toContain(table);
  });

  it('Secrets Manager: GetSecretValue with Host rebind.evil.example gets 403, not the secret', async () => {
    const name = `guard/review-${nextId()}`;
    const value = 'pinterest-client-secret-must-not-leak';
    await secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    const get: Probe = {
      method: 'POST',
      path: '/',
      headers: { ...FAKE_SIGV4, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body: JSON.stringify({ SecretId: name }),
    };
    const port = new URL(emulators.endpoints.secretsManager).port;
    for (const host of ['rebind.evil.example', `rebind.evil.example:${port}`]) {
      const refused = await send(emulators.endpoints.secretsManager, get, host);
      expectRefused(refused, 'unexpected Host header');
      expect(refused.body).not.toContain(value);
    }
    const allowed = await send(emulators.endpoints.secretsManager, get);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toContain(value);
  });

  it('Pinterest emulator: a control POST that is not JSON (text/plain, a form, none) gets 415 and changes nothing', async () => {
    for (const contentType of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const uri = `http://127.0.0.1:9/${nextId()}`;
      const answer = await send(pinterest.urls.www, {
        method: 'POST',
        path: '/_emulator/register-redirect-uri',
        headers: contentType === undefined ? {} : { 'content-type': contentType },
        body: JSON.stringify({ uri }),
      });
      expect({ contentType, status: answer.status }).toEqual({ contentType, status: 415 });
      expect(answer.headers['content-type']).toBe('application/json');
      expect(JSON.parse(answer.body)).toEqual({ code: 1, message: 'Content-Type must be application/json.' });
      expect(pinterest.app.redirectUris).not.toContain(uri);
    }
    // Every action is covered, `reset` included (it takes no body).
    const redirectUri = 'http://127.0.0.1:9/review';
    pinterest.controls.registerRedirectUri(redirectUri);
    pinterest.controls.setConsentMode('deny');
    try {
      const reset = await send(pinterest.urls.www, { method: 'POST', path: '/_emulator/reset', headers: { 'content-type': 'text/plain' } });
      expect(reset.status).toBe(415);
      const authorizeUrl = `/oauth/?client_id=${pinterest.app.clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&response_type=code&scope=user_accounts:read`;
      const stillDenying = await send(pinterest.urls.www, { method: 'GET', path: authorizeUrl });
      expect(stillDenying.status).toBe(302);
      expect(stillDenying.headers.location).toContain('error=access_denied');
    } finally {
      pinterest.controls.setConsentMode('manual');
    }
    // With the JSON content type, it is applied.
    const uri = `http://127.0.0.1:9/${nextId()}`;
    const applied = await send(pinterest.urls.www, {
      method: 'POST',
      path: '/_emulator/register-redirect-uri',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ uri }),
    });
    expect(applied.status).toBe(200);
    expect(pinterest.app.redirectUris).toContain(uri);
    // Reading the request log stays a plain GET.
    expect((await send(pinterest.urls.www, { method: 'GET', path: '/_emulator/requests' })).status).toBe(200);
  });

  it('Pinterest emulator: the consent form posting to its own origin still gets through', async () => {
    const answer = await send(pinterest.urls.www, {
      method: 'POST',
      path: '/oauth/decision',
      headers: { origin: pinterest.urls.www, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision_id=unknown&decision=allow',
    });
    // The emulator's own answer to an unknown decision, not the guard's.
    expect(answer.status).not.toBe(403);
    expect(answer.headers['content-type']).toMatch(/^text\/html/);
  });

  it('Pinterest emulator: a host that stopped listening (refuse_connection) is guarded again when it comes back', async () => {
    pinterest.controls.injectFault({ kind: 'refuse_connection', host: 'sandbox', ms: 60_000 });
    await expect(send(pinterest.urls.sandbox, { method: 'GET', path: '/v5/user_account' })).rejects.toThrow();
    pinterest.controls.clearFaults();
    let answer: Answer | undefined;
    for (let attempt = 0; attempt < 50 && answer === undefined; attempt += 1) {
      answer = await send(pinterest.urls.sandbox, { method: 'GET', path: '/v5/user_account' }, 'rebind.evil.example').catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return undefined;
      });
    }
    if (answer === undefined) throw new Error('the sandbox host did not listen again');
    expectRefused(answer, 'unexpected Host header');
    const allowed = await send(pinterest.urls.sandbox, { method: 'GET', path: '/v5/user_account', headers: { authorization: `Bearer ${tokens.sandbox}` } });
    expect(allowed.status).toBe(200);
  });
});

describe('API stand-in', () => {
  const previous = process.env.PUBLIC_BASE_URL;
  afterEach(() => {
    if (previous === undefined) delete process.env.PUBLIC_BASE_URL;
    else process.env.PUBLIC_BASE_URL = previous;
  });

  it('also accepts the origin of PUBLIC_BASE_URL, read on each request', async () => {
    process.env.PUBLIC_BASE_URL = 'https://publisher.example.test/base/';
    const accepted = await send(api.url, { method: 'GET', path: '/health', headers: { origin: 'https://publisher.example.test' } });
    expect(accepted.status).toBe(200);
    expect(corsHeaders(accepted)).toEqual([]);
    // The Host rule still holds for it.
    expectRefused(await send(api.url, { method: 'GET', path: '/health' }, 'publisher.example.test'), 'unexpected Host header');
    expectRefused(
      await send(api.url, { method: 'GET', path: '/health', headers: { origin: 'http://publisher.example.test' } }),
      'cross-origin requests are refused',
    );

    process.env.PUBLIC_BASE_URL = 'https://other.example.test';
    expectRefused(
      await send(api.url, { method: 'GET', path: '/health', headers: { origin: 'https://publisher.example.test' } }),
      'cross-origin requests are refused',
    );
    process.env.PUBLIC_BASE_URL = 'not a url';
    expectRefused(await send(api.url, { method: 'GET', path: '/health', headers: { origin: 'null' } }), 'cross-origin requests are refused');
  });

  it('refuses a foreign request to the local schedule trigger without triggering anything', async () => {
    const trigger = jest.spyOn(api.background, 'trigger');
    try {
      const answer = await send(api.url, { method: 'POST', path: '/__local/schedules/anything' }, 'rebind.evil.example');
      expectRefused(answer, 'unexpected Host header');
      const cross = await send(api.url, { method: 'POST', path: '/__local/schedules/anything', headers: { origin: 'https://evil.example' } });
      expectRefused(cross, 'cross-origin requests are refused');
      expect(trigger).not.toHaveBeenCalled();
    } finally {
      trigger.mockRestore();
    }
  });
});

describe('the AWS SDK through the guard', () => {
  it('still reaches every AWS emulator (it sends Host 127.0.0.1:<port> and no Origin)', async () => {
    const id = nextId();
    await dynamo.send(
      new CreateTableCommand({
        TableName: `sdk-${id}`,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toContain(`sdk-${id}`);
    await s3.send(new CreateBucketCommand({ Bucket: `sdk-${id}` }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain(`sdk-${id}`);
    const sent = await ses.send(
      new SendEmailCommand({
        Source: 'sender@publisher.test',
        Destination: { ToAddresses: ['operator@publisher.test'] },
        Message: { Subject: { Data: `sdk-${id}` }, Body: { Text: { Data: 'hello' } } },
      }),
    );
    expect(sent.MessageId).toBeTruthy();
    await secrets.send(new CreateSecretCommand({ Name: `sdk/${id}`, SecretString: 'value' }));
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: `sdk/${id}` }))).SecretString).toBe('value');
  });
});
