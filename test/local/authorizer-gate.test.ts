import { z } from 'zod';
import { buildHttpApiEvent } from '../../local/api-event';
import { AUTHORIZER_CACHE_MAX_ENTRIES, AuthorizerGate } from '../../local/authorizer-gate';
import { invoke } from '../../local/lambda-runtime';
import type * as LambdaRuntime from '../../local/lambda-runtime';
import { SecretStore } from '../../shared/adapters/secret-store';
import { hashOperatorCredential } from '../../shared/domain/operator-credential';
import { systemClock } from '../../shared/domain/time';
import { secretNames } from '../../shared/secrets';
import { clients, names as seeded, uniquePrefix } from '../support/aws';

/**
 * The gate runs the real authorizer (functions/authorize-operator.ts) in-process against the Secrets
 * Manager emulator. The runtime's `invoke` is wrapped in a jest.fn that still calls the real one, so
 * the tests can tell when the authorizer was (not) consulted.
 *
 * The credential rotation below must not be seen by other test files running at the same time
 * against the same emulator, so this file works under its own secret prefix (process.env is per test
 * file in jest): the seeded app hashing key is copied there, and the seeded operator credential's hash
 * is stored there too.
 */
jest.mock('../../local/lambda-runtime', () => {
  const actual = jest.requireActual<typeof LambdaRuntime>('../../local/lambda-runtime');
  return { ...actual, invoke: jest.fn(actual.invoke) };
});

const invokeSpy = jest.mocked(invoke);

const credential = 'test-operator-credential-0123456789abcdef';
const store = new SecretStore(clients.secrets, systemClock, 0);
const prefix = `${seeded.secretPrefix}${uniquePrefix('authorizer-gate')}/`;

beforeAll(async () => {
  const hashingKey = await store.get(secretNames(seeded.secretPrefix).hashingKey, z.object({ hashingKey: z.string() }));
  if (hashingKey === undefined) throw new Error('the global setup did not seed the hashing key');
  // Before the authorizer's first invocation: the wiring reads SECRET_PREFIX once, on first use.
  process.env.SECRET_PREFIX = prefix;
  const own = secretNames(process.env.SECRET_PREFIX);
  await store.create(own.hashingKey, hashingKey);
  await store.create(own.operatorCredential, hashOperatorCredential(credential, new Date()));
});

afterAll(async () => {
  const own = secretNames(prefix);
  await store.forceDelete(own.operatorCredential);
  await store.forceDelete(own.hashingKey);
});

beforeEach(() => {
  invokeSpy.mockClear();
});

function request(authorization?: string) {
  return buildHttpApiEvent({
    method: 'GET',
    url: '/audit?limit=5',
    headers: { ...(authorization === undefined ? {} : { authorization }), 'user-agent': 'authorizer-gate-test' },
    routeKey: 'GET /audit',
  });
}

describe('AuthorizerGate', () => {
  it('answers 401 without calling the authorizer when the Authorization header is missing', async () => {
    const gate = new AuthorizerGate();
    expect(await gate.check(request())).toEqual({ status: 401 });
    expect(invokeSpy).not.toHaveBeenCalled();
  });

  it('answers 401 without calling the authorizer when the Authorization header is empty', async () => {
    const gate = new AuthorizerGate();
    expect(await gate.check(request(''))).toEqual({ status: 401 });
    expect(invokeSpy).not.toHaveBeenCalled();
  });

  it('answers 403 for a wrong credential', async () => {
    const gate = new AuthorizerGate();
    expect(await gate.check(request('Bearer wrong-operator-credential-0123456789abcdef'))).toEqual({ status: 403 });
    expect(invokeSpy).toHaveBeenCalledTimes(1);
  });

  it('answers 403 for a scheme other than Bearer, even with the right credential', async () => {
    const gate = new AuthorizerGate();
    expect(await gate.check(request(`Basic ${Buffer.from(`operator:${credential}`).toString('base64')}`))).toEqual({ status: 403 });
    expect(await gate.check(request(`Basic ${credential}`))).toEqual({ status: 403 });
  });

  it('lets the right credential through with the authorizer’s context (principal "operator")', async () => {
    const gate = new AuthorizerGate();
    expect(await gate.check(request(`Bearer ${credential}`))).toEqual({ context: { principal: 'operator' } });
  });

  it('hands the authorizer a REQUEST event carrying the identity, route and request', async () => {
    const gate = new AuthorizerGate();
    const event = request(`Bearer ${credential}`);
    await gate.check(event);
    expect(invokeSpy).toHaveBeenCalledTimes(1);
    expect(invokeSpy).toHaveBeenCalledWith('authorizeOperator', {
      version: '2.0',
      type: 'REQUEST',
      routeArn: 'arn:aws:execute-api:local:000000000000:local/$default/GET/audit',
      identitySource: [`Bearer ${credential}`],
      routeKey: 'GET /audit',
      rawPath: '/audit',
      rawQueryString: 'limit=5',
      cookies: [],
      headers: event.headers,
      queryStringParameters: { limit: '5' },
      requestContext: event.requestContext,
    });
  });

  it('caches allowed and refused results per header value for 30 s, then asks the authorizer again', async () => {
    const start = 1_700_000_000_000;
    let now = start;
    const gate = new AuthorizerGate(() => now);
    const old = `Bearer ${credential}`;
    const wrong = 'Bearer wrong-operator-credential-0123456789abcdef';
    const rotated = 'rotated-operator-credential-0123456789abcdef';
    const own = secretNames(prefix);

    expect(await gate.check(request(old))).toEqual({ context: { principal: 'operator' } });
    expect(await gate.check(request(wrong))).toEqual({ status: 403 });
    expect(invokeSpy).toHaveBeenCalledTimes(2);

    try {
      // Rotate the stored credential. The authorizer reads it past any secret cache, so it sees the
      // rotation at once: only API Gateway's (here the gate's) 30 s cache delays it.
      await store.put(own.operatorCredential, hashOperatorCredential(rotated, new Date()));

      // The authorizer now refuses the old credential (a different header value, so not cached) …
      expect(await gate.check(request(`bearer ${credential}`))).toEqual({ status: 403 });
      expect(await gate.check(request(`Bearer ${rotated}`))).toEqual({ context: { principal: 'operator' } });
      invokeSpy.mockClear();

      // … but the gate still answers from its cache for the header values it has seen, for 30 s.
      now = start + 29_999;
      expect(await gate.check(request(old))).toEqual({ context: { principal: 'operator' } });
      expect(await gate.check(request(wrong))).toEqual({ status: 403 });
      expect(invokeSpy).not.toHaveBeenCalled();

      // Once the 30 s have passed it asks the authorizer again, which refuses the old credential.
      now = start + 30_000;
      expect(await gate.check(request(old))).toEqual({ status: 403 });
      expect(invokeSpy).toHaveBeenCalledTimes(1);
    } finally {
      await store.put(own.operatorCredential, hashOperatorCredential(credential, new Date()));
    }
  });

  describe('a bounded cache', () => {
    const actualInvoke = jest.requireActual<typeof LambdaRuntime>('../../local/lambda-runtime').invoke;

    /** The authorizer answers at once (no Secrets Manager round trip), refusing every credential. */
    function refuseEverything(): void {
      invokeSpy.mockImplementation(() => Promise.resolve({ isAuthorized: false }));
    }

    afterEach(() => {
      invokeSpy.mockImplementation(actualInvoke);
    });

    it('drops expired entries on the next check, whatever identity it is for', async () => {
      refuseEverything();
      let now = 1_700_000_000_000;
      const gate = new AuthorizerGate(() => now);
      for (let i = 0; i < 50; i += 1) await gate.check(request(`Bearer wrong-${String(i)}`));
      expect(gate.size).toBe(50);
      now += 10_000;
      await gate.check(request('Bearer later'));
      expect(gate.size).toBe(51);

      // 30 s after the first 50: they are gone; the later one (20 s old) stays.
      now += 20_000;
      expect(await gate.check(request())).toEqual({ status: 401 });
      expect(gate.size).toBe(1);
      invokeSpy.mockClear();
      await gate.check(request('Bearer later'));
      expect(invokeSpy).not.toHaveBeenCalled();
      await gate.check(request('Bearer wrong-0'));
      expect(invokeSpy).toHaveBeenCalledTimes(1);
    });

    it('holds at most maxEntries, dropping the oldest first', async () => {
      refuseEverything();
      const now = 1_700_000_000_000;
      const gate = new AuthorizerGate(() => now, 3);
      for (const name of ['a', 'b', 'c', 'd']) await gate.check(request(`Bearer ${name}`));
      expect(gate.size).toBe(3);
      invokeSpy.mockClear();
      // b, c and d are cached; a, the oldest, was dropped and is asked about again.
      for (const name of ['b', 'c', 'd']) await gate.check(request(`Bearer ${name}`));
      expect(invokeSpy).not.toHaveBeenCalled();
      await gate.check(request('Bearer a'));
      expect(invokeSpy).toHaveBeenCalledTimes(1);
      expect(gate.size).toBe(3);
      // Asking about a dropped b again: a (just re-added) is kept, c goes.
      invokeSpy.mockClear();
      await gate.check(request('Bearer b'));
      expect(invokeSpy).toHaveBeenCalledTimes(1);
      await gate.check(request('Bearer a'));
      await gate.check(request('Bearer d'));
      expect(invokeSpy).toHaveBeenCalledTimes(1);
    });

    it('stays at 1000 entries under a flood of distinct wrong credentials', async () => {
      refuseEverything();
      let now = 1_700_000_000_000;
      const gate = new AuthorizerGate(() => now);
      expect(AUTHORIZER_CACHE_MAX_ENTRIES).toBe(1000);
      for (let i = 0; i < 2500; i += 1) {
        expect(await gate.check(request(`Bearer flood-${String(i)}`))).toEqual({ status: 403 });
        now += 1;
      }
      expect(gate.size).toBe(AUTHORIZER_CACHE_MAX_ENTRIES);
      // Once the flood is 30 s old, the cache empties on the next request.
      now += 30_000;
      await gate.check(request());
      expect(gate.size).toBe(0);
    });

    it('still lets the operator through during a flood', async () => {
      const gate = new AuthorizerGate(Date.now, 5);
      expect(await gate.check(request(`Bearer ${credential}`))).toEqual({ context: { principal: 'operator' } });
      refuseEverything();
      for (let i = 0; i < 20; i += 1) await gate.check(request(`Bearer flood-${String(i)}`));
      invokeSpy.mockImplementation(actualInvoke);
      expect(await gate.check(request(`Bearer ${credential}`))).toEqual({ context: { principal: 'operator' } });
      expect(gate.size).toBe(5);
    });
  });

  it('keeps separate caches per gate instance', async () => {
    const header = `Bearer ${credential}`;
    await new AuthorizerGate().check(request(header));
    await new AuthorizerGate().check(request(header));
    expect(invokeSpy).toHaveBeenCalledTimes(2);
  });
});
