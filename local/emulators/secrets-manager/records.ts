import { randomInt, randomUUID } from 'node:crypto';
import { invalidParameter, invalidRequest, notFound, versionExists } from './errors';
import type { SecretRecord, SecretStore, VersionRecord } from './state';

export const DAY_MS = 86_400_000;
export const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
/** Versions without a staging label are pruned, oldest first, beyond this many versions. */
const MAX_VERSIONS = 100;
const ARN_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface Context {
  store: SecretStore;
  nowMs: number;
  region: string;
  accountId: string;
}

export interface SecretValue {
  secretString?: string;
  secretBinary?: string;
}

export const seconds = (ms: number): number => ms / 1000;
const startOfDay = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

export function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 6; i += 1) suffix += ARN_SUFFIX_ALPHABET.charAt(randomInt(ARN_SUFFIX_ALPHABET.length));
  return suffix;
}

/** Finds a secret by full ARN, name, or partial ARN (the ARN without its `-xxxxxx` suffix). */
function findSecret(ctx: Context, secretId: string): SecretRecord | undefined {
  const all = ctx.store.all();
  return (
    all.find((secret) => secret.arn === secretId) ??
    ctx.store.byName(secretId) ??
    all.find((secret) => secret.arn.slice(0, -7) === secretId)
  );
}

export function requireSecret(ctx: Context, secretId: string): SecretRecord {
  const secret = findSecret(ctx, secretId);
  if (secret === undefined) throw notFound();
  return secret;
}

/** As `requireSecret`, but refuses a secret that is scheduled for deletion. */
export function requireLiveSecret(ctx: Context, secretId: string): SecretRecord {
  const secret = requireSecret(ctx, secretId);
  if (secret.deletionMs !== undefined) {
    throw invalidRequest("You can't perform this operation on the secret because it was marked for deletion.");
  }
  return secret;
}

/** The value in a request, or undefined if it carries none; both at once is refused. */
export function valueOf(input: { SecretString?: string; SecretBinary?: string }): SecretValue | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    throw invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  if (input.SecretString !== undefined) return { secretString: input.SecretString };
  if (input.SecretBinary !== undefined) return { secretBinary: input.SecretBinary };
  return undefined;
}

/**
 * ClientRequestToken idempotency: the version a replayed token already made (same value), or
 * undefined if the token is new. The same token with a different value is refused.
 */
export function replayedVersion(secret: SecretRecord, token: string | undefined, value: SecretValue): VersionRecord | undefined {
  if (token === undefined) return undefined;
  const existing = secret.versions.find((version) => version.versionId === token);
  if (existing === undefined) return undefined;
  if (existing.secretString !== value.secretString || existing.secretBinary !== value.secretBinary) {
    throw versionExists();
  }
  return existing;
}

const byStage = (secret: SecretRecord, stage: string): VersionRecord | undefined =>
  secret.versions.find((version) => version.stages.includes(stage));

/**
 * Adds a version carrying `stages`, taking each label from whichever version had it. When
 * AWSCURRENT moves, the version that was current becomes AWSPREVIOUS.
 */
export function addVersion(ctx: Context, secret: SecretRecord, value: SecretValue, token: string | undefined, stages: string[]): VersionRecord {
  const oldCurrent = byStage(secret, CURRENT);
  const moved = new Set(stages);
  for (const version of secret.versions) version.stages = version.stages.filter((stage) => !moved.has(stage));
  if (moved.has(CURRENT) && oldCurrent !== undefined) {
    for (const version of secret.versions) version.stages = version.stages.filter((stage) => stage !== PREVIOUS);
    oldCurrent.stages.push(PREVIOUS);
  }
  const version: VersionRecord = { versionId: token ?? randomUUID(), ...value, stages: [...moved], createdMs: ctx.nowMs };
  secret.versions.push(version);
  pruneVersions(secret);
  secret.lastChangedMs = ctx.nowMs;
  ctx.store.changed();
  return version;
}

/** Keeps at most MAX_VERSIONS versions by dropping the oldest ones that carry no label. */
function pruneVersions(secret: SecretRecord): void {
  while (secret.versions.length > MAX_VERSIONS) {
    const index = secret.versions.findIndex((version) => version.stages.length === 0);
    if (index < 0) return;
    secret.versions.splice(index, 1);
  }
}

export function selectVersion(secret: SecretRecord, versionId: string | undefined, stage: string | undefined): VersionRecord {
  if (versionId !== undefined) {
    const version = secret.versions.find((candidate) => candidate.versionId === versionId);
    if (version === undefined) throw notFound(`Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
    if (stage !== undefined && !version.stages.includes(stage)) {
      throw invalidRequest('You provided a VersionStage that is not associated to the provided VersionId.');
    }
    return version;
  }
  const label = stage ?? CURRENT;
  const version = byStage(secret, label);
  if (version === undefined) throw notFound(`Secrets Manager can't find the specified secret value for staging label: ${label}`);
  return version;
}

/** Records access the way AWS does: the date only, rounded down to midnight UTC. */
export function recordAccess(ctx: Context, secret: SecretRecord, version: VersionRecord): void {
  const day = startOfDay(ctx.nowMs);
  if (secret.lastAccessedMs === day && version.lastAccessedMs === day) return;
  secret.lastAccessedMs = day;
  version.lastAccessedMs = day;
  ctx.store.changed();
}

export function stagedVersions(secret: SecretRecord): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const version of secret.versions) if (version.stages.length > 0) map[version.versionId] = [...version.stages];
  return map;
}

/** The metadata DescribeSecret and ListSecrets share (never the value). */
export function metadata(secret: SecretRecord): Record<string, unknown> {
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    CreatedDate: seconds(secret.createdMs),
    LastChangedDate: seconds(secret.lastChangedMs),
    LastAccessedDate: secret.lastAccessedMs === undefined ? undefined : seconds(secret.lastAccessedMs),
    DeletedDate: secret.deletionMs === undefined ? undefined : seconds(secret.deletionMs),
    Tags: secret.tags.length > 0 ? secret.tags : undefined,
  };
}
