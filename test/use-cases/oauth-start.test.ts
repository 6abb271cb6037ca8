import { NotConfiguredError } from '../../shared/domain/errors';
import { keyedHash } from '../../shared/domain/keyed-hash';
import { requestedScopes } from '../../shared/domain/pinterest';
import { createStartLink, openStartLink, type StartLinkOutcome } from '../../shared/use-cases/oauth-start';
import { memoryConnectDeps, requestFacts } from '../support/memory-ports';

const createFacts = requestFacts('POST', '/oauth/start');
const openFacts = requestFacts('GET', '/oauth/start');

function setUp() {
  // A state lifetime other than the default, so the tests see it comes from the setting.
  return memoryConnectDeps({ settings: { stateMinutes: 7 } });
}

async function newLink(memory: ReturnType<typeof setUp>) {
  const link = await createStartLink(memory.deps, 'production', createFacts);
  const ticket = new URL(link.url).searchParams.get('ticket');
  if (ticket === null) throw new Error(`no ticket in ${link.url}`);
  return { ...link, ticket };
}

function redirected(outcome: StartLinkOutcome): Extract<StartLinkOutcome, { kind: 'redirect' }> {
  if (outcome.kind !== 'redirect') throw new Error(`expected a redirect, got ${outcome.kind}`);
  return outcome;
}

describe('createStartLink', () => {
  it('answers a link on PUBLIC_BASE_URL that expires in five minutes', async () => {
    const memory = setUp();
    const link = await newLink(memory);
    expect(link.url).toBe(`https://publisher.example.test/oauth/start?ticket=${link.ticket}`);
    expect(link.expiresAt).toBe(new Date(memory.state.clock.now().getTime() + 5 * 60_000).toISOString());
  });

  it('stores only the keyed hash of the ticket, with the environment, a ticket id and the expiry', async () => {
    const memory = setUp();
    const { state } = memory;
    const link = await newLink(memory);
    const hash = keyedHash(state.hashingKey, 'oauth-ticket', link.ticket);
    expect([...state.oauth.tickets.entries()]).toEqual([
      [hash, { environment: 'production', ticketId: 'id-1', createdAt: '2026-03-01T09:00:00.000Z', expiresAt: state.clock.seconds + 300 }],
    ]);
    expect(JSON.stringify([...state.oauth.tickets])).not.toContain(link.ticket);
  });

  it('logs the created link with its ticket id, never the ticket', async () => {
    const memory = setUp();
    const { state } = memory;
    const link = await newLink(memory);
    expect(state.log.entries).toEqual([
      expect.objectContaining({
        kind: 'oauth_start',
        outcome: 'ok',
        path: '/oauth/start',
        requestId: 'api-request-1',
        clientHash: keyedHash(state.hashingKey, 'client-address', '203.0.113.7'),
        detail: { environment: 'production', ticketId: 'id-1', step: 'link_created' },
      }),
    ]);
    expect(JSON.stringify(state.log.entries)).not.toContain(link.ticket);
    expect(JSON.stringify(state.log.entries)).not.toContain('203.0.113.7');
  });

  it('refuses with NotConfiguredError while the Pinterest app credentials are missing, storing nothing', async () => {
    const { deps, state } = setUp();
    state.app.remove();
    await expect(createStartLink(deps, 'sandbox', createFacts)).rejects.toThrow(NotConfiguredError);
    expect(state.oauth.tickets.size).toBe(0);
    expect(state.log.entries).toEqual([]);
  });
});

describe('openStartLink', () => {
  it('redirects to the authorize page with the app id, the callback URI, the scopes and a state', async () => {
    const memory = setUp();
    const link = await newLink(memory);
    const outcome = redirected(await openStartLink(memory.deps, link.ticket, openFacts));
    const location = new URL(outcome.location);
    expect(`${location.origin}${location.pathname}`).toBe('https://www.pinterest.com/oauth/');
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: 'test-client-id',
      redirect_uri: 'https://publisher.example.test/oauth/callback',
      response_type: 'code',
      scope: requestedScopes.join(','),
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(outcome.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(outcome.nonce).not.toBe(location.searchParams.get('state'));
  });

  it('stores the state under its keyed hash with the nonce hash, living RETENTION_OAUTH_STATE_MINUTES like the cookie', async () => {
    const memory = setUp();
    const { oauth: store, clock, hashingKey } = memory.state;
    const link = await newLink(memory);
    clock.advance(60_000);
    const outcome = redirected(await openStartLink(memory.deps, link.ticket, openFacts));
    const stateValue = new URL(outcome.location).searchParams.get('state') ?? '';
    expect(outcome.cookieMaxAgeSeconds).toBe(7 * 60);
    expect([...store.states.entries()]).toEqual([
      [
        keyedHash(hashingKey, 'oauth-state', stateValue),
        {
          environment: 'production',
          ticketId: 'id-1',
          nonceHash: keyedHash(hashingKey, 'oauth-nonce', outcome.nonce),
          createdAt: '2026-03-01T09:01:00.000Z',
          expiresAt: clock.seconds + 7 * 60,
        },
      ],
    ]);
    const stored = JSON.stringify([...store.states]);
    expect(stored).not.toContain(stateValue);
    expect(stored).not.toContain(outcome.nonce);
  });

  it('spends the ticket: the same link opened a second time is an invalid link and stores no second state', async () => {
    const memory = setUp();
    const link = await newLink(memory);
    redirected(await openStartLink(memory.deps, link.ticket, openFacts));
    await expect(openStartLink(memory.deps, link.ticket, openFacts)).resolves.toEqual({ kind: 'invalid_link' });
    expect(memory.state.oauth.tickets.size).toBe(0);
    expect(memory.state.oauth.states.size).toBe(1);
    expect(memory.state.log.last()).toMatchObject({ kind: 'oauth_start', outcome: 'client_error', errorCode: 'invalid_ticket' });
  });

  it('logs the redirect with the ticket id and the state hash, never the state or the nonce', async () => {
    const memory = setUp();
    const link = await newLink(memory);
    const outcome = redirected(await openStartLink(memory.deps, link.ticket, openFacts));
    const stateValue = new URL(outcome.location).searchParams.get('state') ?? '';
    expect(memory.state.log.last()).toMatchObject({
      kind: 'oauth_start',
      outcome: 'ok',
      detail: { environment: 'production', ticketId: 'id-1', step: 'redirected', stateHash: keyedHash(memory.state.hashingKey, 'oauth-state', stateValue) },
    });
    const logged = JSON.stringify(memory.state.log.entries);
    expect(logged).not.toContain(stateValue);
    expect(logged).not.toContain(outcome.nonce);
  });

  it('still accepts the link one second before it expires', async () => {
    const memory = setUp();
    const link = await newLink(memory);
    memory.state.clock.advance(299_000);
    expect((await openStartLink(memory.deps, link.ticket, openFacts)).kind).toBe('redirect');
  });

  it('treats an expired link as invalid, logs it and stores no state', async () => {
    const memory = setUp();
    const link = await newLink(memory);
    memory.state.clock.advance(300_000);
    await expect(openStartLink(memory.deps, link.ticket, openFacts)).resolves.toEqual({ kind: 'invalid_link' });
    expect(memory.state.oauth.states.size).toBe(0);
    expect(memory.state.log.last()).toMatchObject({ outcome: 'client_error', errorCode: 'invalid_ticket' });
  });

  it.each([
    ['an unknown ticket', 'tok_never_issued_000000000000000000000000000'],
    ['an empty ticket', ''],
    ['no ticket', undefined],
  ])('answers invalid_link for %s and logs it', async (_case, ticket) => {
    const memory = setUp();
    await newLink(memory);
    await expect(openStartLink(memory.deps, ticket, openFacts)).resolves.toEqual({ kind: 'invalid_link' });
    expect(memory.state.oauth.tickets.size).toBe(1);
    expect(memory.state.oauth.states.size).toBe(0);
    expect(memory.state.log.last()).toMatchObject({ kind: 'oauth_start', outcome: 'client_error', errorCode: 'invalid_ticket' });
  });

  it('refuses with NotConfiguredError without spending the ticket, so the link works once credentials are set', async () => {
    const memory = setUp();
    const link = await newLink(memory);
    const credentials = memory.state.app.credentials;
    memory.state.app.remove();
    await expect(openStartLink(memory.deps, link.ticket, openFacts)).rejects.toThrow(NotConfiguredError);
    expect(memory.state.oauth.tickets.size).toBe(1);
    memory.state.app.credentials = credentials;
    expect((await openStartLink(memory.deps, link.ticket, openFacts)).kind).toBe('redirect');
  });
});
