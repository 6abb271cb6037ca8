import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { scheduledEvent } from '../../local/background';
import type { LoggedRequest } from '../../local/emulators/pinterest/types';
import { invoke } from '../../local/lambda-runtime';
import type { PinterestPin } from '../../shared/adapters/pinterest/resources';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import type { Clock } from '../../shared/domain/time';
import { schedules } from '../../shared/routes';
import type { PinStorePort } from '../../shared/use-cases/pin-ports';
import { publishPin } from '../../shared/use-cases/publish';
import { sweepPublishing, type ReconcileDeps, type ReconcileSettings, type StuckMetricPort } from '../../shared/use-cases/reconcile';
import { publishDeps } from '../../shared/wiring-publish';
import { reconcileDeps } from '../../shared/wiring-reconcile';
import { clients } from './aws';
import { productToken, type BoardFlow } from './board-flow';
import { FakeClock } from './fake-clock';
import { callFunction, type TestResponse } from './http';
import { errorOf, scanTable, type PinJson } from './pin-flow';
import { published, recordedApi, type RecordJson } from './publish-flow';

/**
 * Reconciliation (shared/use-cases/reconcile.ts) driven through the real handlers and scheduled
 * functions on a board flow's tables and emulator (./board-flow.ts, ./publish-flow.ts), plus the use
 * cases on the wiring's own deps with a clock or settings the test chooses; and the two ways a publish
 * can end without an outcome that the emulator's faults cannot make: the function killed right after
 * its claim, or after Pinterest was called but before the outcome was written.
 */

/** The publish claim's lease (shared/wiring-publish.ts) and how far before an attempt a Pin may have been created. */
export const LEASE_MS = 120_000;
export const WINDOW_MS = 120_000;

export type ScanResult = 'matched' | 'none' | 'several' | 'near_match' | 'capped' | 'error';
export type Field = 'board' | 'title' | 'description' | 'link' | 'altText';

export interface ScanJson {
  at: string;
  result: ScanResult;
  pagesScanned: number;
  capped: boolean;
  windowFrom: string;
  candidates: Array<{ pinterestPinId: string; createdAt: string | null; differs: Field[]; heldBy?: string }>;
  error?: string;
}

export interface ReconcileJson extends RecordJson {
  scan: ScanJson | null;
}

// ------------------------------------------------------------------------------------------------
// The routes and the scheduled functions

const jsonHeaders = { 'content-type': 'application/json' };

/** POST /pins/{id}/resolve with any body (an object is sent as JSON, a string as it is). */
export function resolve(id: string, body: unknown): Promise<TestResponse> {
  return callFunction('resolvePin', {
    method: 'POST',
    url: `/pins/${id}/resolve`,
    headers: jsonHeaders,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    pathParameters: { id },
  });
}

/** POST /pins/{id}/resolve that must be answered 200: the record. */
export async function resolved(id: string, body: Record<string, unknown>): Promise<ReconcileJson> {
  const res = await resolve(id, body);
  if (res.statusCode !== 200) throw new Error(`POST /pins/${id}/resolve answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as ReconcileJson;
}

/** POST /pins/{id}/check that must be answered 200: the record. */
export async function checked(id: string): Promise<ReconcileJson> {
  const res = await callFunction('checkPin', { method: 'POST', url: `/pins/${id}/check`, pathParameters: { id } });
  if (res.statusCode !== 200) throw new Error(`POST /pins/${id}/check answered ${String(res.statusCode)}: ${res.text}`);
  return res.json() as ReconcileJson;
}

/** A schedule's function run in-process with the event EventBridge delivers: its answer. */
export async function runSchedule(name: 'reconcile' | 'sweep-publishing'): Promise<Record<string, unknown>> {
  const schedule = schedules.find((s) => s.name === name);
  if (schedule === undefined) throw new Error(`no schedule ${name}`);
  return (await invoke(schedule.fn, scheduledEvent(schedule))) as Record<string, unknown>;
}

/** An approved draft published while the emulator creates the Pin and drops the connection: the needs_reconcile record. */
export async function droppedAfterCreate(flow: BoardFlow, pin: PinJson, env: PinterestEnvironment = 'sandbox'): Promise<ReconcileJson> {
  flow.emulator.controls.injectFault({ kind: 'create_then_drop', host: env, method: 'POST', path: '/v5/pins' });
  const answer = await published(pin.id);
  if (answer.outcome !== 'needs_reconcile') throw new Error(`publish under create_then_drop answered ${answer.outcome}`);
  return answer.pin as ReconcileJson;
}

// ------------------------------------------------------------------------------------------------
// The use cases on the wiring's deps

/** The reconciliation functions' deps (shared/wiring-reconcile.ts) with another clock or settings. */
export function reconcileDepsWith(options: { clock?: Clock; settings?: Partial<ReconcileSettings> } = {}): ReconcileDeps {
  const base = reconcileDeps();
  return { ...base, clock: options.clock ?? base.clock, reconcile: { ...base.reconcile, ...options.settings } };
}

export interface RecordingMetrics extends StuckMetricPort {
  emitted: Array<Record<PinterestEnvironment, number>>;
}

export function recordingMetrics(): RecordingMetrics {
  const emitted: Array<Record<PinterestEnvironment, number>> = [];
  return {
    emitted,
    stuckRecords(counts) {
      emitted.push({ ...counts });
    },
  };
}

/** The sweeper's use case as if it ran at `at` (the wiring's deps, a clock set there, a recording metrics port). */
export async function sweepAt(at: Date, settings: Partial<ReconcileSettings> = {}): Promise<{ outcome: Awaited<ReturnType<typeof sweepPublishing>>; metrics: RecordingMetrics }> {
  const metrics = recordingMetrics();
  const outcome = await sweepPublishing({ ...reconcileDepsWith({ clock: new FakeClock(at), settings }), metrics });
  return { outcome, metrics };
}

export class Killed extends Error {
  override readonly name = 'Killed';
}

/**
 * POST /pins/{id}/publish's use case on the wiring's deps, its function killed:
 * - `after_claim`: the claim (`publishing`, an attempt and its lease) reached DynamoDB, then the
 *   function died before calling Pinterest;
 * - `before_outcome`: Pinterest was called (whatever it answered), then the function died before its
 *   outcome was written.
 * The attempt starts at `startedAt` (the clock the use case reads; now by default). The record stays
 * `publishing` until the sweeper finds its lease over.
 */
export async function publishAndDie(pinId: string, when: 'after_claim' | 'before_outcome', startedAt?: Date): Promise<void> {
  const deps = publishDeps();
  const real = deps.pins;
  let writes = 0;
  const pins: PinStorePort = {
    create: (record) => real.create(record),
    get: (id) => real.get(id),
    list: (env, status, options) => real.list(env, status, options),
    remove: (record) => real.remove(record),
    replace: async (current, next) => {
      writes += 1;
      if (writes > 1) throw new Killed('the function stopped before writing the outcome');
      const claimed = await real.replace(current, next);
      if (when === 'after_claim') throw new Killed('the function stopped right after its claim');
      return claimed;
    },
  };
  try {
    await publishPin({ ...deps, pins, clock: startedAt === undefined ? deps.clock : new FakeClock(startedAt) }, pinId);
  } catch (error) {
    if (error instanceof Killed) return;
    throw error;
  }
  throw new Error('the publish was expected to be killed');
}

// ------------------------------------------------------------------------------------------------
// Pinterest and the tables underneath

/** A Pin made at the emulator with the product's token (as another app or the operator by hand would). */
export async function pinAtPinterest(
  flow: BoardFlow,
  env: PinterestEnvironment,
  fields: { boardId: string; sectionId?: string; title?: string; description?: string; link?: string; altText?: string },
): Promise<PinterestPin> {
  const body = {
    board_id: fields.boardId,
    ...(fields.sectionId === undefined ? {} : { board_section_id: fields.sectionId }),
    ...(fields.title === undefined ? {} : { title: fields.title }),
    ...(fields.description === undefined ? {} : { description: fields.description }),
    ...(fields.link === undefined ? {} : { link: fields.link }),
    ...(fields.altText === undefined ? {} : { alt_text: fields.altText }),
    media_source: { source_type: 'image_url' as const, url: 'https://images.example.com/by-hand.jpg' },
  };
  return (await recordedApi(flow).createPin(env, await productToken(flow, env), body)).data;
}

/** The requests that reached the emulator while `run` ran (the log is not cleared: its length before). */
export async function requestsDuring<T>(flow: BoardFlow, run: () => Promise<T>): Promise<{ result: T; requests: LoggedRequest[] }> {
  const before = flow.emulator.controls.requests().length;
  const result = await run();
  return { result, requests: flow.emulator.controls.requests().slice(before) };
}

/** `method path` of API requests (the www host's pages aside), to compare lists at a glance. */
export const calls = (requests: readonly LoggedRequest[]): string[] => requests.filter((r) => r.host !== 'www').map((r) => `${r.method} ${r.path}`);

/** Which record holds a Pinterest Pin, as the holder index says (read with the SDK). */
export async function holderItem(flow: BoardFlow, env: PinterestEnvironment, pinterestPinId: string): Promise<string | undefined> {
  const items = await scanTable(flow.tables.workflow);
  const item = items.find((i) => i.pk === `PINTEREST_PIN#${env}#${pinterestPinId}`);
  return item === undefined ? undefined : String(item.pinId);
}

/** Removes every Pin record, media reference and holder item of the file's workflow table (a clean slate). */
export async function clearRecords(flow: BoardFlow): Promise<void> {
  const items = await scanTable(flow.tables.workflow);
  const keys = items.filter((item) => /^(PIN|MEDIA|PINTEREST_PIN)#/.test(String(item.pk))).map((item) => ({ pk: item.pk, sk: item.sk }));
  for (let i = 0; i < keys.length; i += 25) {
    await clients.dynamo.send(new BatchWriteCommand({ RequestItems: { [flow.tables.workflow]: keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) } }));
  }
}

/** Pinterest's `created_at` (UTC without an offset) in epoch ms. */
export const pinterestMs = (createdAt: string | null | undefined): number => Date.parse(`${createdAt ?? ''}Z`);

/** The answer's error code and current state, for a 4xx. */
export const refusal = (res: TestResponse) => ({ status: res.statusCode, code: errorOf(res).code, currentState: errorOf(res).currentState });
