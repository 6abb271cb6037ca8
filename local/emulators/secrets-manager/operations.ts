import { ApiError, invalidParameter, invalidRequest } from './errors';
import { matchesFilters, paginate, sortSecrets } from './listing';
import {
  addVersion,
  type Context,
  CURRENT,
  DAY_MS,
  metadata,
  randomSuffix,
  recordAccess,
  replayedVersion,
  requireLiveSecret,
  requireSecret,
  type SecretValue,
  seconds,
  selectVersion,
  stagedVersions,
  valueOf,
} from './records';
import {
  createSecretInput,
  deleteSecretInput,
  getSecretValueInput,
  listSecretsInput,
  listVersionIdsInput,
  parseInput,
  putSecretValueInput,
  secretIdInput,
  updateSecretInput,
} from './requests';
import type { SecretRecord } from './state';

function createSecret(ctx: Context, body: unknown): object {
  const input = parseInput(createSecretInput, body);
  const value = valueOf(input);
  const existing = ctx.store.byName(input.Name);
  if (existing !== undefined) return replayCreate(existing, input.ClientRequestToken, value);
  const secret: SecretRecord = {
    arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${input.Name}-${randomSuffix()}`,
    name: input.Name,
    description: input.Description,
    tags: input.Tags ?? [],
    createdMs: ctx.nowMs,
    lastChangedMs: ctx.nowMs,
    versions: [],
  };
  ctx.store.add(secret);
  const version = value === undefined ? undefined : addVersion(ctx, secret, value, input.ClientRequestToken, [CURRENT]);
  return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
}

/** CreateSecret on a taken name: an idempotent replay of the same request, or an error. */
function replayCreate(existing: SecretRecord, token: string | undefined, value: SecretValue | undefined): object {
  if (existing.deletionMs !== undefined) {
    throw invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.");
  }
  const replay = value === undefined ? undefined : replayedVersion(existing, token, value);
  if (replay === undefined) {
    throw new ApiError('ResourceExistsException', `The operation failed because the secret ${existing.name} already exists.`);
  }
  return { ARN: existing.arn, Name: existing.name, VersionId: replay.versionId };
}

function getSecretValue(ctx: Context, body: unknown): object {
  const input = parseInput(getSecretValueInput, body);
  const secret = requireLiveSecret(ctx, input.SecretId);
  const version = selectVersion(secret, input.VersionId, input.VersionStage);
  recordAccess(ctx, secret, version);
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.versionId,
    SecretString: version.secretString,
    SecretBinary: version.secretBinary,
    VersionStages: [...version.stages],
    CreatedDate: seconds(version.createdMs),
  };
}

function putSecretValue(ctx: Context, body: unknown): object {
  const input = parseInput(putSecretValueInput, body);
  const value = valueOf(input);
  if (value === undefined) throw invalidParameter('You must provide either SecretString or SecretBinary.');
  const secret = requireLiveSecret(ctx, input.SecretId);
  const version =
    replayedVersion(secret, input.ClientRequestToken, value) ??
    addVersion(ctx, secret, value, input.ClientRequestToken, input.VersionStages ?? [CURRENT]);
  return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: [...version.stages] };
}

function updateSecret(ctx: Context, body: unknown): object {
  const input = parseInput(updateSecretInput, body);
  const value = valueOf(input);
  const secret = requireLiveSecret(ctx, input.SecretId);
  if (input.Description !== undefined) {
    secret.description = input.Description;
    secret.lastChangedMs = ctx.nowMs;
    ctx.store.changed();
  }
  const version =
    value === undefined
      ? undefined
      : (replayedVersion(secret, input.ClientRequestToken, value) ??
        addVersion(ctx, secret, value, input.ClientRequestToken, [CURRENT]));
  return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
}

function describeSecret(ctx: Context, body: unknown): object {
  const secret = requireSecret(ctx, parseInput(secretIdInput, body).SecretId);
  return { ...metadata(secret), VersionIdsToStages: stagedVersions(secret) };
}

function listSecrets(ctx: Context, body: unknown): object {
  const input = parseInput(listSecretsInput, body);
  const visible = ctx.store
    .all()
    .filter((secret) => input.IncludePlannedDeletion === true || secret.deletionMs === undefined)
    .filter((secret) => matchesFilters(secret, input.Filters ?? []));
  const sorted = sortSecrets(visible, input.SortBy ?? 'created-date', input.SortOrder ?? 'asc');
  const { page, next } = paginate(sorted, input.MaxResults, input.NextToken);
  const entries = page.map((secret) => ({ ...metadata(secret), SecretVersionsToStages: stagedVersions(secret) }));
  return { SecretList: entries, NextToken: next };
}

function listSecretVersionIds(ctx: Context, body: unknown): object {
  const input = parseInput(listVersionIdsInput, body);
  const secret = requireSecret(ctx, input.SecretId);
  const versions = secret.versions.filter((version) => input.IncludeDeprecated === true || version.stages.length > 0);
  const { page, next } = paginate(versions, input.MaxResults, input.NextToken);
  const entries = page.map((version) => ({
    VersionId: version.versionId,
    VersionStages: version.stages.length > 0 ? [...version.stages] : undefined,
    CreatedDate: seconds(version.createdMs),
    LastAccessedDate: version.lastAccessedMs === undefined ? undefined : seconds(version.lastAccessedMs),
  }));
  return { ARN: secret.arn, Name: secret.name, Versions: entries, NextToken: next };
}

function deleteSecret(ctx: Context, body: unknown): object {
  const input = parseInput(deleteSecretInput, body);
  const force = input.ForceDeleteWithoutRecovery === true;
  if (force && input.RecoveryWindowInDays !== undefined) {
    throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
  }
  const windowDays = input.RecoveryWindowInDays ?? 30;
  if (windowDays < 7 || windowDays > 30) {
    throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
  }
  const secret = requireSecret(ctx, input.SecretId);
  if (force) {
    ctx.store.remove(secret);
    return { ARN: secret.arn, Name: secret.name, DeletionDate: seconds(ctx.nowMs) };
  }
  if (secret.deletionMs !== undefined) {
    throw invalidRequest("You can't perform this operation on the secret because it was already scheduled for deletion.");
  }
  secret.deletionMs = ctx.nowMs + windowDays * DAY_MS;
  secret.lastChangedMs = ctx.nowMs;
  ctx.store.changed();
  return { ARN: secret.arn, Name: secret.name, DeletionDate: seconds(secret.deletionMs) };
}

function restoreSecret(ctx: Context, body: unknown): object {
  const secret = requireSecret(ctx, parseInput(secretIdInput, body).SecretId);
  if (secret.deletionMs !== undefined) {
    delete secret.deletionMs;
    secret.lastChangedMs = ctx.nowMs;
    ctx.store.changed();
  }
  return { ARN: secret.arn, Name: secret.name };
}

export const operations = new Map<string, (ctx: Context, body: unknown) => object>([
  ['CreateSecret', createSecret],
  ['GetSecretValue', getSecretValue],
  ['PutSecretValue', putSecretValue],
  ['UpdateSecret', updateSecret],
  ['DescribeSecret', describeSecret],
  ['ListSecrets', listSecrets],
  ['ListSecretVersionIds', listSecretVersionIds],
  ['DeleteSecret', deleteSecret],
  ['RestoreSecret', restoreSecret],
]);
