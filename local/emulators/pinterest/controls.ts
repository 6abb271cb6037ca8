import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isKnownScope } from './constants';
import { faultSchema } from './faults';
import type { EmulatorService } from './service';
import { newId, takeSeq, type BoardRecord } from './records';
import { userSchema } from './state';
import { expireAccessTokens, grantTokens, revokeGrant } from './tokens';
import type { AccessTier, ConsentMode, EmulatorControls, EmulatorPin, EmulatorUser, Fault, IssuedTokens, LoggedRequest, PinterestEnvironment } from './types';

/**
 * The test controls. Every input is validated here (not only over HTTP) because local tooling may
 * call them from plain JavaScript; a bad input throws `ControlError`, which HTTP shows as a 400.
 * Each change is written to the data file at once.
 */

export class ControlError extends Error {
  override readonly name = 'ControlError';
}

export const consentModeSchema = z.enum(['manual', 'approve', 'deny']);
export const tierSchema = z.enum(['trial', 'standard']);
export const environmentSchema = z.enum(['sandbox', 'production']);

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
  throw new ControlError(`Invalid control input: ${where}${issue?.message ?? 'invalid'}`);
}

const redirectUriSchema = z.string().refine((uri) => URL.canParse(uri), 'must be an absolute URL');
const scopesSchema = z.array(z.string().refine(isKnownScope, 'unknown scope')).min(1);

export class Controls implements EmulatorControls {
  constructor(private readonly service: EmulatorService) {}

  private get state(): EmulatorService['store']['state'] {
    return this.service.store.state;
  }

  private nowMs(): number {
    return this.service.clock().getTime();
  }

  private save(): void {
    this.service.store.flush();
  }

  private requireUser(userId: string): void {
    if (this.service.store.user(userId) === undefined) throw new ControlError(`Unknown user: ${userId}`);
  }

  // Arrow properties keep the methods bound, so `const { reset } = emulator.controls` works.

  readonly setConsentMode = (mode: ConsentMode): void => {
    this.state.consentMode = parseInput(consentModeSchema, mode);
    this.save();
  };

  readonly setConsentingUser = (userId: string): void => {
    this.requireUser(userId);
    this.state.consentingUserId = userId;
    this.save();
  };

  readonly addUser = (user: EmulatorUser): void => {
    const valid = parseInput(userSchema, user);
    const clash = this.state.users.find((u) => u.username === valid.username && u.id !== valid.id);
    if (clash !== undefined) throw new ControlError(`Username ${valid.username} is taken by user ${clash.id}`);
    this.state.users = [...this.state.users.filter((u) => u.id !== valid.id), valid];
    this.save();
  };

  readonly registerRedirectUri = (uri: string): void => {
    const valid = parseInput(redirectUriSchema, uri);
    if (!this.state.app.redirectUris.includes(valid)) this.state.app.redirectUris.push(valid);
    this.save();
  };

  /** Tokens minted from now on carry this tag after their prefix (letters and digits only). */
  readonly setTokenTag = (tag: string): void => {
    if (!/^[A-Za-z0-9]{0,40}$/.test(tag)) throw new ControlError('tokenTag must be up to 40 letters or digits');
    this.service.store.tokenTag = tag;
  };

  readonly setTier = (tier: AccessTier): void => {
    this.state.app.tier = parseInput(tierSchema, tier);
    this.save();
  };

  readonly injectFault = (fault: Fault): string => {
    const valid = parseInput(faultSchema, fault);
    if (valid.kind !== 'refuse_connection') return this.service.faults.inject(valid);
    // Acts on the listeners at once; the id only keeps the return value uniform.
    for (const environment of valid.host === 'any' ? (['sandbox', 'production'] as const) : [valid.host]) {
      this.service.connections.refuse(environment, valid.ms);
    }
    return randomUUID();
  };

  readonly clearFaults = (): void => {
    this.service.faults.clear();
    this.service.connections.restoreAll();
  };

  readonly revokeGrant = (environment: PinterestEnvironment, userId: string): void => {
    revokeGrant(this.service.store, parseInput(environmentSchema, environment), userId);
    this.save();
  };

  readonly expireAccessTokens = (environment: PinterestEnvironment, userId?: string): void => {
    expireAccessTokens(this.service.store, parseInput(environmentSchema, environment), userId, this.nowMs());
    this.save();
  };

  readonly seedBoards = (environment: PinterestEnvironment, userId: string, count: number): string[] => {
    const env = parseInput(environmentSchema, environment);
    this.requireUser(userId);
    const n = parseInput(z.number().int().min(1).max(50_000), count);
    const world = this.service.store.world(env);
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const board: BoardRecord = {
        id: newId(world.boards),
        seq: takeSeq(world),
        ownerId: userId,
        name: `Seeded board ${String(i + 1)}`,
        description: null,
        privacy: 'PUBLIC',
        createdMs: this.nowMs(),
        collaboratorIds: [],
        followerCount: 0,
        isAdsOnly: false,
      };
      world.boards.set(board.id, board);
      ids.push(board.id);
    }
    this.save();
    return ids;
  };

  readonly deleteBoard = (environment: PinterestEnvironment, boardId: string): void => {
    const world = this.service.store.world(parseInput(environmentSchema, environment));
    if (!world.boards.delete(boardId)) throw new ControlError(`Unknown board: ${boardId}`);
    for (const [id, section] of world.sections) if (section.boardId === boardId) world.sections.delete(id);
    for (const [id, pin] of world.pins) if (pin.boardId === boardId) world.pins.delete(id);
    this.save();
  };

  readonly pins = (environment: PinterestEnvironment): EmulatorPin[] => {
    const world = this.service.store.world(parseInput(environmentSchema, environment));
    return [...world.pins.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((pin) => ({
        id: pin.id,
        boardId: pin.boardId,
        sectionId: pin.sectionId ?? null,
        title: pin.title ?? null,
        description: pin.description ?? null,
        link: pin.link ?? null,
        altText: pin.altText ?? null,
        createdAt: new Date(pin.createdMs).toISOString(),
        creatorId: pin.creatorId,
      }));
  };

  readonly deletePin = (environment: PinterestEnvironment, pinId: string): void => {
    const world = this.service.store.world(parseInput(environmentSchema, environment));
    if (!world.pins.delete(pinId)) throw new ControlError(`Unknown Pin: ${pinId}`);
    this.save();
  };

  readonly requests = (): LoggedRequest[] => this.service.log.all();

  /** Back to a fresh world: the first user consents again (undoing `setConsentingUser`). */
  readonly reset = (): void => {
    this.service.store.resetData();
    const first = this.state.users[0];
    if (first !== undefined) this.state.consentingUserId = first.id;
    this.clearFaults();
    this.service.log.clear();
    this.service.limiter.clear();
    this.save();
  };

  readonly issueTokens = (environment: PinterestEnvironment, userId: string, scopes: string[]): IssuedTokens => {
    const env = parseInput(environmentSchema, environment);
    this.requireUser(userId);
    const consent = { clientId: this.state.app.clientId, userId, scopes: parseInput(scopesSchema, scopes) };
    const tokens = grantTokens(this.service.store, env, consent, this.nowMs());
    this.save();
    if (tokens.refresh === undefined) throw new Error('Pinterest emulator: no refresh token was issued');
    return { accessToken: tokens.accessToken, refreshToken: tokens.refresh.token };
  };
}
