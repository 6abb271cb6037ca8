import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { z } from 'zod';

/**
 * A small AWS Secrets Manager emulator speaking the real JSON 1.1 wire protocol.
 *
 * It exists because no Secrets Manager emulator exists on npm, and this product keeps its tokens
 * only in Secrets Manager. Local mode and the tests reach it through the real
 * `@aws-sdk/client-secrets-manager` client, pointed here by `AWS_ENDPOINT_URL_SECRETS_MANAGER`, so
 * the code under test is exactly the code that runs in AWS. Error bodies carry `__type`, which makes
 * the SDK raise its real typed exceptions. Signatures are not verified.
 *
 * State lives in memory and, when `dataFile` is given, in one JSON file rewritten atomically (temp
 * file + rename) after every call that changed something, so a restart keeps every secret, version
 * and scheduled deletion. Secrets scheduled for deletion are purged lazily, at the next request
 * after the (injectable) clock passes their deletion date.
 */

export interface SecretsManagerEmulatorOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1: never other interfaces unless asked. */
  host?: string;
  /** JSON file for persistence; absent = memory only. */
  dataFile?: string;
  /** Injectable time; default `() => new Date()`. */
  clock?: () => Date;
  /** Default us-east-1. */
  region?: string;
  /** Default 000000000000. */
  accountId?: string;
}

export interface SecretsManagerEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
/** Versions without a staging label are pruned, oldest first, beyond this many versions. */
const MAX_VERSIONS = 100;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_VALUE_BYTES = 65_536;
const TARGET_PREFIX = 'secretsmanager.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const ARN_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

// ---------------------------------------------------------------------------------------------
// Errors

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const invalidParameter = (message: string): ApiError => new ApiError('InvalidParameterException', message);
const invalidRequest = (message: string): ApiError => new ApiError('InvalidRequestException', message);
const notFound = (message = "Secrets Manager can't find the specified secret."): ApiError =>
  new ApiError('ResourceNotFoundException', message);
const versionExists = (): ApiError =>
  new ApiError('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");

// ---------------------------------------------------------------------------------------------
// Stored state (also the persisted file format)

const tagSchema = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256).optional() });

const versionRecordSchema = z.object({
  versionId: z.string(),
  secretString: z.string().optional(),
  secretBinary: z.string().optional(),
  stages: z.array(z.string()),
  createdMs: z.number(),
  lastAccessedMs: z.number().optional(),
});

const secretRecordSchema = z.object({
  arn: z.string(),
  name: z.string(),
  description: z.string().optional(),
  tags: z.array(tagSchema),
  createdMs: z.number(),
  lastChangedMs: z.number(),
  lastAccessedMs: z.number().optional(),
  deletionMs: z.number().optional(),
  versions: z.array(versionRecordSchema),
});

const stateFileSchema = z.object({ formatVersion: z.literal(1), secrets: z.array(secretRecordSchema) });

type Tag = z.infer<typeof tagSchema>;
type VersionRecord = z.infer<typeof versionRecordSchema>;
type SecretRecord = z.infer<typeof secretRecordSchema>;

/** Secrets by name, in creation order; `flush` writes the file once per changed request. */
class SecretStore {
  private readonly secrets = new Map<string, SecretRecord>();
  private dirty = false;

  constructor(private readonly dataFile: string | undefined) {
    if (dataFile === undefined) return;
    mkdirSync(dirname(dataFile), { recursive: true });
    if (!existsSync(dataFile)) return;
    const parsed = stateFileSchema.safeParse(JSON.parse(readFileSync(dataFile, 'utf8')));
    if (!parsed.success) throw new Error(`Secrets Manager emulator: ${dataFile} is not a valid state file`);
    for (const secret of parsed.data.secrets) this.secrets.set(secret.name, secret);
  }

  all(): SecretRecord[] {
    return [...this.secrets.values()];
  }

  byName(name: string): SecretRecord | undefined {
    return this.secrets.get(name);
  }

  add(secret: SecretRecord): void {
    this.secrets.set(secret.name, secret);
    this.changed();
  }

  remove(secret: SecretRecord): void {
    this.secrets.delete(secret.name);
    this.changed();
  }

  changed(): void {
    this.dirty = true;
  }

  /** Drops every secret whose scheduled deletion date has been reached. */
  purgeExpired(nowMs: number): void {
    for (const secret of this.all()) {
      if (secret.deletionMs !== undefined && secret.deletionMs <= nowMs) this.remove(secret);
    }
  }

  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.dataFile === undefined) return;
    const temp = `${this.dataFile}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temp, JSON.stringify({ formatVersion: 1, secrets: this.all() }), { mode: 0o600 });
    renameSync(temp, this.dataFile);
  }
}

// ---------------------------------------------------------------------------------------------
// Request schemas

const secretIdSchema = z.string().min(1).max(2048);
const tokenSchema = z.string().min(32).max(64).optional();
const stageSchema = z.string().min(1).max(256);
const secretStringSchema = z.string().max(MAX_VALUE_BYTES).optional();
const secretBinarySchema = z
  .base64()
  .refine((value) => Buffer.from(value, 'base64').length <= MAX_VALUE_BYTES, 'SecretBinary is too large')
  .optional();
const descriptionSchema = z.string().max(2048).optional();
const maxResultsSchema = z.number().int().min(1).max(100).optional();

const createSecretInput = z.object({
  Name: z
    .string()
    .min(1)
    .max(512)
    .regex(/^[A-Za-z0-9/_+=.@-]+$/, 'must contain only alphanumeric characters and /_+=.@-'),
  ClientRequestToken: tokenSchema,
  Description: descriptionSchema,
  SecretString: secretStringSchema,
  SecretBinary: secretBinarySchema,
  Tags: z.array(tagSchema).max(50).optional(),
});

const getSecretValueInput = z.object({
  SecretId: secretIdSchema,
  VersionId: z.string().min(32).max(64).optional(),
  VersionStage: stageSchema.optional(),
});

const putSecretValueInput = z.object({
  SecretId: secretIdSchema,
  ClientRequestToken: tokenSchema,
  SecretString: secretStringSchema,
  SecretBinary: secretBinarySchema,
  VersionStages: z.array(stageSchema).min(1).max(20).optional(),
});

const updateSecretInput = z.object({
  SecretId: secretIdSchema,
  ClientRequestToken: tokenSchema,
  Description: descriptionSchema,
  SecretString: secretStringSchema,
  SecretBinary: secretBinarySchema,
});

const secretIdInput = z.object({ SecretId: secretIdSchema });

const filterKeys = ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'] as const;
type FilterKey = (typeof filterKeys)[number];

const filterSchema = z.object({
  Key: z.enum(filterKeys),
  Values: z
    .array(z.string().max(512).regex(/^!?[a-zA-Z0-9 :_@/+=.\-!]*$/, 'contains characters a filter cannot hold'))
    .min(1)
    .max(10),
});
type Filter = z.infer<typeof filterSchema>;

const listSecretsInput = z.object({
  MaxResults: maxResultsSchema,
  NextToken: z.string().optional(),
  Filters: z.array(filterSchema).max(10).optional(),
  IncludePlannedDeletion: z.boolean().optional(),
  SortOrder: z.enum(['asc', 'desc']).optional(),
  SortBy: z.enum(['created-date', 'last-accessed-date', 'last-changed-date', 'name']).optional(),
});

const listVersionIdsInput = z.object({
  SecretId: secretIdSchema,
  MaxResults: maxResultsSchema,
  NextToken: z.string().optional(),
  IncludeDeprecated: z.boolean().optional(),
});

const deleteSecretInput = z.object({
  SecretId: secretIdSchema,
  RecoveryWindowInDays: z.number().int().optional(),
  ForceDeleteWithoutRecovery: z.boolean().optional(),
});

/** Parses a request body, turning the first problem into the InvalidParameterException AWS gives. */
function parseInput<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue ? issue.path.map((part) => String(part)).join('.') : '';
  throw invalidParameter(`Invalid parameter ${where}: ${issue?.message ?? 'invalid input'}`);
}

// ---------------------------------------------------------------------------------------------
// Secret and version helpers

interface Context {
  store: SecretStore;
  nowMs: number;
  region: string;
  accountId: string;
}

interface SecretValue {
  secretString?: string;
  secretBinary?: string;
}

const seconds = (ms: number): number => ms / 1000;
const startOfDay = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

function randomSuffix(): string {
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

function requireSecret(ctx: Context, secretId: string): SecretRecord {
  const secret = findSecret(ctx, secretId);
  if (secret === undefined) throw notFound();
  return secret;
}

/** As `requireSecret`, but refuses a secret that is scheduled for deletion. */
function requireLiveSecret(ctx: Context, secretId: string): SecretRecord {
  const secret = requireSecret(ctx, secretId);
  if (secret.deletionMs !== undefined) {
    throw invalidRequest("You can't perform this operation on the secret because it was marked for deletion.");
  }
  return secret;
}

/** The value in a request, or undefined if it carries none; both at once is refused. */
function valueOf(input: { SecretString?: string; SecretBinary?: string }): SecretValue | undefined {
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
function replayedVersion(secret: SecretRecord, token: string | undefined, value: SecretValue): VersionRecord | undefined {
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
function addVersion(ctx: Context, secret: SecretRecord, value: SecretValue, token: string | undefined, stages: string[]): VersionRecord {
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

function selectVersion(secret: SecretRecord, versionId: string | undefined, stage: string | undefined): VersionRecord {
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
function recordAccess(ctx: Context, secret: SecretRecord, version: VersionRecord): void {
  const day = startOfDay(ctx.nowMs);
  if (secret.lastAccessedMs === day && version.lastAccessedMs === day) return;
  secret.lastAccessedMs = day;
  version.lastAccessedMs = day;
  ctx.store.changed();
}

function stagedVersions(secret: SecretRecord): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const version of secret.versions) if (version.stages.length > 0) map[version.versionId] = [...version.stages];
  return map;
}

/** The metadata DescribeSecret and ListSecrets share (never the value). */
function metadata(secret: SecretRecord): Record<string, unknown> {
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

// ---------------------------------------------------------------------------------------------
// Pagination and filtering

function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`, 'utf8').toString('base64url');
}

function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (match?.[1] === undefined) throw new ApiError('InvalidNextTokenException', 'The NextToken value is invalid.');
  return Number(match[1]);
}

function paginate<T>(items: T[], maxResults: number | undefined, token: string | undefined): { page: T[]; next?: string } {
  const start = decodeToken(token);
  const end = start + (maxResults ?? 100);
  return { page: items.slice(start, end), next: end < items.length ? encodeToken(end) : undefined };
}

function attributeValues(secret: SecretRecord, key: FilterKey): string[] {
  switch (key) {
    case 'name':
      return [secret.name];
    case 'description':
      return [secret.description ?? ''];
    case 'tag-key':
      return secret.tags.map((tag: Tag) => tag.Key);
    case 'tag-value':
      return secret.tags.map((tag: Tag) => tag.Value ?? '');
    case 'all':
      return [secret.name, secret.description ?? '', ...secret.tags.flatMap((tag) => [tag.Key, tag.Value ?? ''])];
    default:
      return []; // primary-region, owning-service: no replicas and no owning services here
  }
}

/** Prefix match per key; description and all ignore case; all also matches the words of a value. */
function matchesValue(secret: SecretRecord, key: FilterKey, value: string): boolean {
  const attributes = attributeValues(secret, key);
  if (key === 'description') return attributes.some((a) => a.toLowerCase().startsWith(value.toLowerCase()));
  if (key !== 'all') return attributes.some((a) => a.startsWith(value));
  const words = attributes.flatMap((a) => [a, ...a.split(/[\s/_+=.@:-]+/)]).map((w) => w.toLowerCase());
  return value
    .toLowerCase()
    .split(/\s+/)
    .filter((term) => term !== '')
    .every((term) => words.some((word) => word.startsWith(term)));
}

/** Values are ORed, `!value` negations must all hold; filters are ANDed. */
function matchesFilters(secret: SecretRecord, filters: Filter[]): boolean {
  return filters.every((filter) => {
    const positives = filter.Values.filter((value) => !value.startsWith('!'));
    const negatives = filter.Values.filter((value) => value.startsWith('!')).map((value) => value.slice(1));
    const positiveOk = positives.length === 0 || positives.some((value) => matchesValue(secret, filter.Key, value));
    return positiveOk && negatives.every((value) => !matchesValue(secret, filter.Key, value));
  });
}

type SortBy = 'created-date' | 'last-accessed-date' | 'last-changed-date' | 'name';

/** Stable sort, so secrets with equal keys keep their creation order. */
function sortSecrets(secrets: SecretRecord[], by: SortBy, order: 'asc' | 'desc'): SecretRecord[] {
  const key = (secret: SecretRecord): number | string => {
    if (by === 'name') return secret.name;
    if (by === 'last-changed-date') return secret.lastChangedMs;
    if (by === 'last-accessed-date') return secret.lastAccessedMs ?? 0;
    return secret.createdMs;
  };
  const direction = order === 'asc' ? 1 : -1;
  return [...secrets].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka < kb ? -direction : ka > kb ? direction : 0;
  });
}

// ---------------------------------------------------------------------------------------------
// Operations

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

const operations = new Map<string, (ctx: Context, body: unknown) => object>([
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

// ---------------------------------------------------------------------------------------------
// HTTP

interface Service {
  store: SecretStore;
  clock: () => Date;
  region: string;
  accountId: string;
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(size > MAX_BODY_BYTES ? 'too_large' : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, payload: object, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(body);
}

function sendError(res: ServerResponse, error: ApiError): void {
  send(res, error.status, { __type: error.type, message: error.message }, { 'x-amzn-errortype': error.type });
}

function operationOf(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  const name = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  if (req.method !== 'POST' || !operations.has(name)) {
    throw new ApiError('UnknownOperationException', `Unknown operation: ${typeof target === 'string' ? target : '(none)'}`);
  }
  return name;
}

function parseBody(raw: Buffer): unknown {
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed;
}

function invoke(service: Service, operation: string, body: unknown): object {
  const handler = operations.get(operation);
  if (handler === undefined) throw new ApiError('UnknownOperationException', `Unknown operation: ${operation}`);
  const ctx: Context = { ...service, nowMs: service.clock().getTime() };
  try {
    ctx.store.purgeExpired(ctx.nowMs);
    return handler(ctx, body);
  } finally {
    ctx.store.flush();
  }
}

async function handle(service: Service, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req);
  try {
    if (raw === 'too_large') throw new ApiError('SerializationException', 'The request body is too large.', 413);
    const operation = operationOf(req);
    send(res, 200, invoke(service, operation, parseBody(raw)));
  } catch (error) {
    if (error instanceof ApiError) {
      sendError(res, error);
      return;
    }
    console.error('Secrets Manager emulator: internal error', error);
    sendError(res, new ApiError('InternalServiceError', 'An error occurred on the server side.', 500));
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts the emulator; resolves once it is listening. */
export async function startSecretsManagerEmulator(
  options: SecretsManagerEmulatorOptions = {},
): Promise<SecretsManagerEmulator> {
  const host = options.host ?? '127.0.0.1';
  const service: Service = {
    store: new SecretStore(options.dataFile),
    clock: options.clock ?? ((): Date => new Date()),
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '000000000000',
  };
  const server = createServer((req, res) => {
    handle(service, req, res).catch((error: unknown) => {
      console.error('Secrets Manager emulator: request failed', error);
      res.destroy();
    });
  });
  const port = await listen(server, options.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
