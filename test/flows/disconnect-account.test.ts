import { randomUUID } from 'node:crypto';
import { ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { runRefreshSchedule } from '../../shared/use-cases/refresh-schedule';
import { ReauthorizationRequiredError, withPinterestToken } from '../../shared/use-cases/token-source';
import { clients } from '../support/aws';
import { connect } from '../support/oauth-flow';
import { MIRA, OTHER, accountLog, accountView, connectConfirmed, disconnect, logMark, readSecret, setUpTokenFlow, storedAccount } from '../support/token-flow';

/**
 * POST /account/disconnect through its handler: the tokens and synced boards go at once, the record
 * stays for audit with a TTL, the pinned account stays pinned, and a reconnect works at once; while a
 * Pin of the environment is being published, it is refused and nothing changes.
 */

const flow = setUpTokenFlow('disconnect');
const DAY_S = 86_400;

async function put(item: Record<string, unknown>): Promise<void> {
  await clients.dynamo.send(new PutCommand({ TableName: flow.tables.workflow, Item: item }));
}

async function remove(pk: string, sk: string): Promise<void> {
  await clients.dynamo.send(new DeleteCommand({ TableName: flow.tables.workflow, Key: { pk, sk } }));
}

beforeEach(async () => {
  flow.clock.set(new Date());
  flow.emulator.controls.reset();
  await connectConfirmed('sandbox');
});

describe('POST /account/disconnect', () => {
  it('deletes the tokens and synced boards and keeps the record for audit; an immediate reconnect of the pinned account is connected again, another account is refused', async () => {
    const mark = await logMark(flow);
    const before = await storedAccount(flow);
    await put({ pk: 'BOARDS#sandbox', sk: 'BOARD#549755813000000001', name: 'Zen Garden Ideas' });
    await put({ pk: 'BOARDS#sandbox', sk: 'SECTION#549755813000000001#1', name: 'Stones' });
    await put({ pk: 'BOARDS#production', sk: 'BOARD#549755813000000002', name: 'kept' });
    const startedAt = Date.now();

    const res = await disconnect('sandbox');

    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ environment: 'sandbox', status: 'disconnected', accountId: MIRA, username: 'miradigitalzen', tokensDeleted: true, boardsRemoved: 2, pinnedAccountId: MIRA });
    expect(body.onPinterest).toEqual(expect.stringContaining("open Pinterest's settings"));
    const keptDays = (Date.parse(String(body.recordKeptUntil)) - startedAt) / (DAY_S * 1000);
    expect(keptDays).toBeGreaterThan(89.99);
    expect(keptDays).toBeLessThanOrEqual(90.01);
    await expect(readSecret(before.secretName)).rejects.toBeInstanceOf(ResourceNotFoundException);
    const stored = await storedAccount(flow);
    expect(stored).toMatchObject({ status: 'disconnected', expiresAt: Math.floor(Date.parse(String(body.recordKeptUntil)) / 1000) });
    expect(stored.refreshLockUntil).toBeUndefined();
    expect((await clients.dynamo.send(new GetCommand({ TableName: flow.tables.workflow, Key: { pk: 'BOARDS#sandbox', sk: 'BOARD#549755813000000001' } }))).Item).toBeUndefined();
    expect((await clients.dynamo.send(new GetCommand({ TableName: flow.tables.workflow, Key: { pk: 'BOARDS#production', sk: 'BOARD#549755813000000002' } }))).Item).toBeDefined();
    expect(await accountView()).toMatchObject({ status: 'disconnected', accountId: MIRA, disconnectedAt: expect.any(String) as unknown });
    expect(await accountLog(flow, mark)).toEqual([expect.objectContaining({ outcome: 'ok', detail: expect.objectContaining({ step: 'disconnected', environment: 'sandbox', accountId: MIRA, boardsRemoved: 2 }) as unknown })]);

    // Nothing calls Pinterest for this account any more, and a second disconnect says it already is.
    await expect(withPinterestToken(flow.deps, 'sandbox', (token) => flow.api.listBoards('sandbox', token))).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(await runRefreshSchedule(flow.deps)).toMatchObject({ sandbox: 'not_connected' });
    const again = await disconnect('sandbox');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { message: 'The sandbox account is already disconnected' } });

    // The pin outlives the disconnect: another Pinterest account cannot take its place.
    flow.emulator.controls.setConsentingUser(OTHER);
    expect((await connect('sandbox')).statusCode).toBe(403);
    expect(await accountView()).toMatchObject({ status: 'disconnected' });

    flow.emulator.controls.setConsentingUser(MIRA);
    const reconnected = await connect('sandbox');
    expect(reconnected.statusCode).toBe(200);
    const view = await accountView();
    expect(view).toMatchObject({ status: 'connected', accountId: MIRA, warnings: [] });
    expect(view.disconnectedAt).toBeUndefined();
    const after = await storedAccount(flow);
    expect(after.secretName).not.toBe(before.secretName);
    expect(after.expiresAt).toBeUndefined(); // no TTL left over: the new connection is not deleted in 90 days
    await expect(readSecret(after.secretName)).resolves.toMatchObject({ tokenVersion: 1 });
    await expect(withPinterestToken(flow.deps, 'sandbox', (token) => flow.api.listBoards('sandbox', token))).resolves.toMatchObject({ status: 200 });
  });

  it('is refused with 409 while a Pin of that environment is publishing, and changes nothing', async () => {
    const pin = `PIN#${randomUUID()}`;
    await put({ pk: pin, sk: 'PIN', statusKey: 'PIN#sandbox#publishing', statusTime: new Date().toISOString() });
    // Pins of the other environment, or of another status, do not matter.
    const otherPin = `PIN#${randomUUID()}`;
    await put({ pk: otherPin, sk: 'PIN', statusKey: 'PIN#production#publishing', statusTime: new Date().toISOString() });
    const before = await storedAccount(flow);
    const mark = await logMark(flow);
    try {
      const res = await disconnect('sandbox');
      expect(res.statusCode).toBe(409);
      const { error } = res.json() as { error: { message: string; currentState?: string } };
      expect(error.message).toContain('A sandbox Pin is being published right now');
      expect(error.message).toContain('GET /pins?status=publishing');
      expect(error.currentState).toBe('publishing');
      expect(await storedAccount(flow)).toEqual(before);
      await expect(readSecret(before.secretName)).resolves.toMatchObject({ tokenVersion: 1 });
      expect((await accountLog(flow, mark)).filter((e) => e.detail?.step === 'disconnected')).toEqual([]);
    } finally {
      await remove(pin, 'PIN');
    }

    // Once it has finished publishing, disconnecting works.
    await put({ pk: pin, sk: 'PIN', statusKey: 'PIN#sandbox#published', statusTime: new Date().toISOString() });
    try {
      expect((await disconnect('sandbox')).statusCode).toBe(200);
    } finally {
      await remove(pin, 'PIN');
      await remove(otherPin, 'PIN');
    }
  });
});
