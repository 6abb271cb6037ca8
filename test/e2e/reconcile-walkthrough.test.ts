import { useLocalStack } from '../support/local-process';
import { stackClient } from '../support/stack-client';

const credential = 'e2e-reconcile-credential-0123456789abcdef';

interface LoggedRequest {
  host: string;
  method: string;
  path: string;
}

interface EmulatorPin {
  id: string;
  boardId: string;
  title: string | null;
}

interface PinBody {
  id: string;
  status: string;
  version: number;
  published: { pinterestPinId: string; boardId: string; url: string } | null;
  unknownOutcome: { reason: string } | null;
  scan: { result: string; candidates: Array<{ pinterestPinId: string; differs: string[]; heldBy?: string }> } | null;
  history: Array<{ action: string; from: string | null; to: string; by: string }>;
}

/**
 * docs/publishing.md "A forced unknown outcome, settled by the schedule and by the operator", through
 * `npm start` over HTTP: Pinterest creates the Pin and drops the connection (the emulator's
 * `create_then_drop`), the record is needs_reconcile, and `POST /__local/schedules/reconcile` settles
 * it to the Pin Pinterest created; two identical drafts that both dropped stay needs_reconcile
 * (several) and the operator resolves each with a Pin found in the emulator's list. No Pin is ever
 * created twice.
 */
describe('end to end: reconciling unknown publish outcomes through the local stack', () => {
  const stack = useLocalStack('mdz-reconcile-', { LOCAL_OPERATOR_CREDENTIAL: credential, PUBLISH_MIN_GAP_SECONDS: '0' });
  const { send, control, connectSandbox } = stackClient(stack, credential);

  const emulatorPins = async () => ((await control('pins', { environment: 'sandbox' })) as { pins: EmulatorPin[] }).pins;
  const sandboxRequests = async () => ((await control('requests')) as { requests: LoggedRequest[] }).requests.filter((r) => r.host === 'sandbox');
  const pinCreates = async () => (await sandboxRequests()).filter((r) => r.method === 'POST' && r.path === '/v5/pins');
  const createThenDrop = () => control('inject-fault', { kind: 'create_then_drop', host: 'sandbox', method: 'POST', path: '/v5/pins' });

  /** POST /__local/schedules/{name} on the local API (loopback only, no credential): runs it now, in the background. */
  async function triggerSchedule(name: string): Promise<void> {
    const res = await fetch(`${stack.urls.api}/__local/schedules/${name}`, { method: 'POST' });
    expect(res.status).toBe(202);
  }

  async function readPin(id: string): Promise<PinBody> {
    const res = await send('GET', `/pins/${id}`);
    expect(res.status).toBe(200);
    return res.json as unknown as PinBody;
  }

  async function until(id: string, done: (pin: PinBody) => boolean, what: string): Promise<PinBody> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const pin = await readPin(id);
      if (done(pin)) return pin;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(pin)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }


  async function approvedDraft(boardId: string, title: string): Promise<string> {
    const created = await send('POST', '/pins', { environment: 'sandbox', boardId, title, description: 'Raked at dawn.', imageUrl: 'https://images.example.com/garden.jpg' });
    expect(created.status).toBe(201);
    const id = String(created.json.id);
    expect((await send('POST', `/pins/${id}/approve`, { version: 1 })).status).toBe(200);
    return id;
  }

  /** Publishes under create_then_drop: the answer is needs_reconcile, the Pin exists. */
  async function publishDropped(id: string): Promise<void> {
    await createThenDrop();
    const answer = await send('POST', `/pins/${id}/publish`);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ outcome: 'needs_reconcile', pin: { status: 'needs_reconcile' } });
    expect((answer.json.pin as PinBody).unknownOutcome?.reason).toContain('failed after the request was sent');
    // Publishing again is refused: only a reconciliation or the operator may decide.
    expect((await send('POST', `/pins/${id}/publish`)).status).toBe(409);
  }

  let boardId = '';

  it('a forced unknown outcome is settled by the `reconcile` schedule: published with the Pin Pinterest created, by the system, nothing sent twice', async () => {
    await connectSandbox();
    const board = await send('POST', '/boards', { environment: 'sandbox', name: 'Zen Garden Ideas' });
    expect(board.status).toBe(201);
    boardId = String(board.json.id);
    const pin2 = await approvedDraft(boardId, 'Raked gravel');
    await publishDropped(pin2);
    const [created, ...others] = await emulatorPins();
    expect(others).toEqual([]);
    expect(created).toMatchObject({ boardId, title: 'Raked gravel' });

    const before = (await sandboxRequests()).length;
    await triggerSchedule('reconcile');
    const settled = await until(pin2, (p) => p.status !== 'needs_reconcile', 'the schedule to settle the record');
    expect(settled).toMatchObject({ status: 'published', published: { pinterestPinId: created?.id, boardId, url: `https://www.pinterest.com/pin/${created?.id ?? ''}/` }, unknownOutcome: null, scan: null });
    expect(settled.history.at(-1)).toMatchObject({ action: 'reconcile', from: 'needs_reconcile', to: 'published', by: 'system' });
    // The schedule only read Pinterest.
    const sent = (await sandboxRequests()).slice(before);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v5/boards/${boardId}/pins`]);
    expect(await pinCreates()).toHaveLength(1);
    expect(await emulatorPins()).toHaveLength(1);
  }, 30_000);

  it('two identical drafts that both dropped stay needs_reconcile (several); the operator resolves each with a Pin from the emulator’s list, never the same one twice', async () => {
    const pin3 = await approvedDraft(boardId, 'Stone lantern');
    const pin4 = await approvedDraft(boardId, 'Stone lantern');
    await publishDropped(pin3);
    await publishDropped(pin4);

    await triggerSchedule('reconcile');
    for (const id of [pin3, pin4]) {
      const pin = await until(id, (p) => p.scan !== null, 'the scan report');
      expect(pin).toMatchObject({ status: 'needs_reconcile', scan: { result: 'several' } });
    }
    const lanterns = (await emulatorPins()).filter((p) => p.title === 'Stone lantern').map((p) => p.id);
    expect(lanterns).toHaveLength(2);
    const [first, second] = lanterns;

    const three = await send('POST', `/pins/${pin3}/resolve`, { outcome: 'published', pinterestPinId: first });
    expect(three.status).toBe(200);
    expect(three.json).toMatchObject({ status: 'published', published: { pinterestPinId: first, boardId } });
    expect((three.json as unknown as PinBody).history.at(-1)).toMatchObject({ action: 'resolve', to: 'published', by: 'operator' });

    const clash = await send('POST', `/pins/${pin4}/resolve`, { outcome: 'published', pinterestPinId: first });
    expect(clash.status).toBe(409);
    expect(clash.json).toMatchObject({ error: { code: 'conflict', currentState: 'needs_reconcile' } });
    expect(JSON.stringify(clash.json)).toContain(pin3);

    const four = await send('POST', `/pins/${pin4}/resolve`, { outcome: 'published', pinterestPinId: second });
    expect(four.status).toBe(200);
    expect(four.json).toMatchObject({ status: 'published', published: { pinterestPinId: second } });

    expect(await pinCreates()).toHaveLength(3);
    expect(((await send('GET', '/pins?environment=sandbox&status=needs_reconcile')).json.items as unknown[])).toEqual([]);
  }, 30_000);
});
