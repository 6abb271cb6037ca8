import { randomBytes, randomInt } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, DeleteSecretCommand, GetSecretValueCommand, ListSecretsCommand, ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureBucket, ensureTables } from '../../local/boot';
import { invoke } from '../../local/lambda-runtime';
import { newSesMessageId, sesEvent } from '../../local/ses-event';
import { startPinterestEmulator, type PinterestEmulator } from '../../local/emulators/pinterest';
import { DEFAULT_USERS } from '../../local/emulators/pinterest/constants';
import type { LocalServer } from '../../local/server';
import { BoardStore } from '../../shared/adapters/dynamo/board-store';
import { DynamoTable } from '../../shared/adapters/dynamo/table';
import { keyedHash } from '../../shared/domain/keyed-hash';
import { ticketReference } from '../../shared/domain/mail-rules';
import type { PinterestEnvironment } from '../../shared/domain/pinterest';
import { systemClock } from '../../shared/domain/time';
import type { InboundOutcome } from '../../shared/use-cases/inbound-mail';
import { refreshTokens } from '../../shared/use-cases/token-refresh';
import { tokenDeps } from '../../shared/wiring-tokens';
import { clients, uniquePrefix } from './aws';
import { getJob, getSections, postBoard, postSync, type BoardJson, type JobJson } from './board-flow';
import { callFunction, type TestResponse } from './http';
import { useInvokeEndpoint } from './invoke-endpoint';
import { PUBLIC_BASE_URL, REDIRECT_URI } from './oauth-flow';
import { createPin, getMedia, readPin, type PinJson } from './pin-flow';
import { approvedDraft, published, tinyJpeg, tinyPng, type RecordJson } from './publish-flow';
import { MIRA, connectConfirmed } from './token-flow';

/**
 * A world for privacy requests: two privacy subjects, each a Pinterest account and an email address,
 * with every record kind the product keeps (shared/record-kinds.ts) made for both through the real
 * handlers and use cases against the emulators.
 *
 * Isolation: the file gets three tables, a data bucket, a secret prefix (with its own hashing key and
 * Pinterest app secret), a support address and an operator address of its own, and a Pinterest
 * emulator of its own, so a full scan of the tables, the bucket and the secrets under the prefix sees
 * this world and nothing else. Lambda's Invoke API is served in the test process (./invoke-endpoint.ts)
 * so POST /boards/sync really runs the sync job.
 *
 * In this product one environment has one connected account: subject A is Pinterest's default user
 * (MIRA, `miradigitalzen`) connected in the sandbox, subject B a user added to the emulator and
 * connected in production (the app says it has Standard access, and the emulator grants it, so B can
 * publish there). B is a fresh user rather than the seed's `someone_else`: in production the seed
 * shares two of MIRA's boards with `someone_else`, which would put A's username into B's board
 * snapshot and blur what belongs to whom.
 */

export interface SubjectSpec {
  label: 'A' | 'B';
  environment: PinterestEnvironment;
  user: { id: string; username: string; businessName: string };
  /** The address as the person writes it (mixed case: the product compares addresses case-insensitively). */
  email: string;
  senderName: string;
  /** Distinctive texts: every one of them belongs to this subject only. */
  boardNames: [string, string];
  boardDescription: string;
  sectionName: string;
  pin: { title: string; description: string; link: string; altText: string; assetLabel: string };
  draftTitle: string;
  mailSubject: string;
  mailText: string;
  formTopic: 'data_access' | 'data_deletion';
  formText: string;
  replyText: string;
}

export interface SubjectWorld {
  spec: SubjectSpec;
  accountId: string;
  boards: BoardJson[];
  /** The section written through the product's board store (see `buildSubject`). */
  section: { boardId: string; id: string; name: string };
  published: RecordJson;
  draft: PinJson;
  images: Buffer[];
  mail: { sesId: string; reference: string; messageId: string };
  formReference: string;
}

export interface PrivacyWorld {
  emulator: PinterestEmulator;
  tables: { state: string; workflow: string; audit: string };
  bucket: string;
  secretPrefix: string;
  supportEmail: string;
  operatorEmail: string;
  /** The hashing key this file's secret prefix holds (as the product reads it: its UTF-8 bytes). */
  hashingKey: Buffer;
  server(): LocalServer;
}

const B_USER = { id: '1000000000000000077', username: 'bruno_atelier_prod', businessName: 'Bruno Atelier Ceramics' };

/** The two subjects, with texts tagged so they are unique to this run (the SES emulator is shared). */
export function subjectSpecs(): { a: SubjectSpec; b: SubjectSpec } {
  const tagA = randomBytes(4).toString('hex');
  const tagB = randomBytes(4).toString('hex');
  const mira = DEFAULT_USERS.find((user) => user.id === MIRA);
  return {
    a: {
      label: 'A',
      environment: 'sandbox',
      user: { id: MIRA, username: mira?.username ?? 'miradigitalzen', businessName: mira?.businessName ?? 'MiraDigitalZen' },
      email: `Alma.Quistgaard-${tagA}@Example.org`,
      senderName: 'Alma Quistgaard',
      boardNames: [`Alma Stone Circles ${tagA}`, `Alma Moss Garden ${tagA}`],
      boardDescription: `Pebbles collected by Alma ${tagA}`,
      sectionName: `Alma Raked Gravel ${tagA}`,
      pin: {
        title: `Alma stone circle at dawn ${tagA}`,
        description: `Seven river stones laid by Alma ${tagA}`,
        link: `https://alma-${tagA}.example/stones`,
        altText: `Grey stones on moss by Alma ${tagA}`,
        assetLabel: `alma-asset-${tagA}`,
      },
      draftTitle: `Alma moss draft ${tagA}`,
      mailSubject: `Alma asks about scheduling ${tagA}`,
      mailText: `Hello, this is Alma ${tagA}: when does my stone circle Pin go live?`,
      formTopic: 'data_deletion',
      formText: `Alma ${tagA} asks for every record about her to be deleted.`,
      replyText: `Dear Alma ${tagA}, your Pin goes live on Monday.`,
    },
    b: {
      label: 'B',
      environment: 'production',
      user: B_USER,
      email: `Bruno.Vasconcelos-${tagB}@Example.net`,
      senderName: 'Bruno Vasconcelos',
      boardNames: [`Bruno Glazed Bowls ${tagB}`, `Bruno Kiln Notes ${tagB}`],
      boardDescription: `Stoneware fired by Bruno ${tagB}`,
      sectionName: `Bruno Celadon ${tagB}`,
      pin: {
        title: `Bruno celadon bowl ${tagB}`,
        description: `A bowl thrown by Bruno ${tagB}`,
        link: `https://bruno-${tagB}.example/bowls`,
        altText: `Green bowl on a shelf by Bruno ${tagB}`,
        assetLabel: `bruno-asset-${tagB}`,
      },
      draftTitle: `Bruno kiln draft ${tagB}`,
      mailSubject: `Bruno asks about a board ${tagB}`,
      mailText: `Hi, Bruno ${tagB} here: can a Pin go to my kiln board?`,
      formTopic: 'data_access',
      formText: `Bruno ${tagB} asks for a copy of his data.`,
      replyText: `Hello Bruno ${tagB}, yes it can.`,
    },
  };
}

/**
 * Registers the file's resources (beforeAll) and their clean-up (afterAll). The settings the handlers
 * read once per file are set here, before any of them runs.
 */
export function setUpPrivacyWorld(label: string): PrivacyWorld {
  const endpoint = useInvokeEndpoint();
  const world = { server: () => endpoint.server() } as PrivacyWorld;
  beforeAll(async () => {
    const prefix = uniquePrefix(label).toLowerCase();
    world.tables = { state: `${prefix}-state`, workflow: `${prefix}-workflow`, audit: `${prefix}-audit` };
    world.bucket = `${prefix}-data`;
    world.secretPrefix = `${prefix}/`;
    world.supportEmail = `support-${prefix}@ecooffice.net`;
    world.operatorEmail = `operator-${prefix}@publisher.test`;
    await ensureTables(clients.dynamoDb, world.tables, '(test)');
    await ensureBucket(clients.s3, world.bucket);
    world.emulator = await startPinterestEmulator({ app: { redirectUris: [REDIRECT_URI] }, consentMode: 'approve' });
    world.emulator.controls.addUser({ ...B_USER, accountType: 'BUSINESS' });
    world.emulator.controls.setTier('standard');
    const hashingKeyText = randomBytes(32).toString('base64');
    world.hashingKey = Buffer.from(hashingKeyText, 'utf8');
    await clients.secrets.send(new CreateSecretCommand({ Name: `${world.secretPrefix}keys/hashing-key`, SecretString: JSON.stringify({ hashingKey: hashingKeyText }) }));
    await clients.secrets.send(
      new CreateSecretCommand({
        Name: `${world.secretPrefix}app/pinterest-client`,
        SecretString: JSON.stringify({ clientId: world.emulator.app.clientId, clientSecret: world.emulator.app.clientSecret }),
      }),
    );
    // Before any handler or wiring of this file reads them (they read lazily, once per file).
    Object.assign(process.env, {
      STATE_TABLE: world.tables.state,
      WORKFLOW_TABLE: world.tables.workflow,
      AUDIT_TABLE: world.tables.audit,
      DATA_BUCKET: world.bucket,
      SECRET_PREFIX: world.secretPrefix,
      OPERATOR_NOTIFY_EMAIL: world.operatorEmail,
      SUPPORT_EMAIL: world.supportEmail,
      SUPPORT_ACKNOWLEDGE: 'true',
      PUBLIC_BASE_URL,
      PINTEREST_AUTHORIZE_URL: world.emulator.urls.authorize,
      PINTEREST_API_BASE_SANDBOX: world.emulator.urls.sandbox,
      PINTEREST_API_BASE_PRODUCTION: world.emulator.urls.production,
      // Pinterest granted Standard access (the emulator says so too): B publishes in production.
      PINTEREST_ACCESS_TIER: 'standard',
      PUBLISH_MIN_GAP_SECONDS: '0',
    });
    delete process.env.PINTEREST_EXPECTED_ACCOUNT_ID;
  });
  afterAll(async () => {
    await world.server().background.idle();
    await world.emulator.close();
    // The file's secrets go (tables and bucket stay, as every flow test file leaves its own).
    for (const secret of await secretsUnder(world.secretPrefix)) {
      await clients.secrets.send(new DeleteSecretCommand({ SecretId: secret.name, ForceDeleteWithoutRecovery: true }));
    }
  });
  return world;
}

// ------------------------------------------------------------------------------------------------
// Building one subject's records through the product

const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function expectStatus(res: TestResponse, status: number, what: string): void {
  if (res.statusCode !== status) throw new Error(`${what} answered ${String(res.statusCode)}: ${res.text}`);
}

async function syncBoards(world: PrivacyWorld, env: PinterestEnvironment): Promise<JobJson> {
  const res = await postSync(env);
  expectStatus(res, 202, `POST /boards/sync ${env}`);
  await world.server().background.idle();
  const job = await getJob((res.json() as JobJson).jobId);
  if (job.status !== 'succeeded') throw new Error(`the ${env} board sync ended ${job.status}`);
  return job;
}

/** A plain-text message as the sender's mail client writes it. */
function rawMail(spec: SubjectSpec, messageId: string): Buffer {
  return Buffer.from(
    [
      `Return-Path: <${spec.email}>`,
      `From: ${spec.senderName} <${spec.email}>`,
      'To: info@ecooffice.net',
      `Subject: ${spec.mailSubject}`,
      `Message-ID: ${messageId}`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      spec.mailText,
      '',
    ].join('\r\n'),
    'utf8',
  );
}

/**
 * Inbound mail the way SES's receipt rule delivers it: the raw message stored under
 * `mail/inbound/<SES message id>`, then the inbound function invoked with SES's event (SPF and DMARC
 * pass, so the sender is acknowledged: an ACK# counter and a SENT_MAIL# entry).
 */
async function receiveMail(world: PrivacyWorld, spec: SubjectSpec): Promise<SubjectWorld['mail']> {
  const sesId = newSesMessageId();
  const messageId = `<${spec.label.toLowerCase()}-${randomBytes(6).toString('hex')}@mail.example.org>`;
  await clients.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: `mail/inbound/${sesId}`, Body: rawMail(spec, messageId), ContentType: 'message/rfc822' }));
  const result = (await invoke('receiveMail', sesEvent({ messageId: sesId, source: spec.email, from: `${spec.senderName} <${spec.email}>`, subject: spec.mailSubject, messageIdHeader: messageId, timestamp: new Date().toISOString() }))) as {
    outcomes: InboundOutcome[];
  };
  const reference = ticketReference(sesId);
  if (JSON.stringify(result.outcomes) !== JSON.stringify([{ kind: 'ticket', reference, acknowledged: true }])) {
    throw new Error(`receiveMail answered ${JSON.stringify(result.outcomes)}`);
  }
  return { sesId, reference, messageId };
}

/** The operator answers the ticket (POST /support/tickets/{id}/reply at the version just read). */
async function reply(reference: string, text: string): Promise<void> {
  const read = await callFunction('getTicket', { method: 'GET', url: `/support/tickets/${reference}`, pathParameters: { id: reference } });
  expectStatus(read, 200, `GET /support/tickets/${reference}`);
  const { ticket } = read.json() as { ticket: { version: number } };
  const res = await callFunction('replyTicket', { method: 'POST', url: `/support/tickets/${reference}/reply`, pathParameters: { id: reference }, ...json({ version: ticket.version, message: text }) });
  expectStatus(res, 200, `POST /support/tickets/${reference}/reply`);
}

/**
 * Everything about one subject, in the order an operator would make it: connect (OAuth at the
 * emulator, then confirm: ACCOUNT# CURRENT and PINNED, the token secret, oauth_callback and account
 * log entries), create two boards and sync (BOARD#, SNAPSHOT), read one board's sections (SECTIONS#),
 * a published Pin with a stored image (PIN# with history, PINTEREST_PIN# holder, MEDIA# reference,
 * bytes under media/<env>/<account>/, pin_publish and http_request entries) and a draft with another
 * image, a token refresh (a second secret version and an `account` entry), inbound mail with its
 * acknowledgement (TICKET#, raw mail, ACK#, SENT_MAIL#), an operator reply, and a support-form request.
 */
export async function buildSubject(world: PrivacyWorld, spec: SubjectSpec): Promise<SubjectWorld> {
  const env = spec.environment;
  world.emulator.controls.setConsentingUser(spec.user.id);
  await connectConfirmed(env);

  const boards: BoardJson[] = [];
  for (const name of spec.boardNames) {
    const res = await postBoard({ environment: env, name, description: spec.boardDescription });
    expectStatus(res, 201, `POST /boards ${env}`);
    boards.push(res.json() as BoardJson);
  }
  await syncBoards(world, env);
  const [first, second] = boards as [BoardJson, BoardJson];
  expectStatus(await getSections(env, first.id, 'true'), 200, `GET /boards/${first.id}/sections`);
  // The emulator has no route that creates a board section, so the second board's cached sections are
  // written through the product's own board store (the record GET /boards/{id}/sections keeps).
  const section = { boardId: second.id, id: `4${String(randomInt(1e8, 1e9))}${String(randomInt(1e8, 1e9))}`, name: spec.sectionName };
  await new BoardStore(new DynamoTable(clients.dynamo, world.tables.workflow, systemClock)).putSections(env, {
    boardId: second.id,
    sections: [{ id: section.id, name: section.name }],
    fetchedAt: new Date().toISOString(),
  });
  expectStatus(await getSections(env, second.id), 200, `GET /boards/${second.id}/sections`);

  const png = tinyPng();
  const jpeg = tinyJpeg();
  const approved = await approvedDraft({ environment: env, boardId: first.id, ...spec.pin, imageBase64: png.toString('base64'), imageContentType: 'image/png' });
  const outcome = await published(approved.id);
  if (outcome.outcome !== 'published') throw new Error(`publishing ${spec.label}'s Pin ended ${outcome.outcome}`);
  const draft = await createPin({ environment: env, boardId: second.id, title: spec.draftTitle, imageBase64: jpeg.toString('base64'), imageContentType: 'image/jpeg' });
  await readPin(outcome.pin.id);
  const media = await getMedia(draft.id);
  if (media.statusCode !== 200) throw new Error(`GET /pins/${draft.id}/media answered ${String(media.statusCode)}`);

  const refreshed = await refreshTokens(tokenDeps(), env, () => true);
  if (refreshed.kind !== 'refreshed') throw new Error(`refreshing ${spec.label}'s tokens ended ${refreshed.kind}`);

  const mail = await receiveMail(world, spec);
  await reply(mail.reference, spec.replyText);
  const form = await callFunction('submitSupportRequest', { method: 'POST', url: '/support', ...json({ email: spec.email, topic: spec.formTopic, message: spec.formText }) });
  expectStatus(form, 202, 'POST /support');

  const account = await workflowItem(world, `ACCOUNT#${env}`, 'CURRENT');
  return {
    spec,
    accountId: String(account?.accountId),
    boards,
    section,
    published: outcome.pin,
    draft,
    images: [png, jpeg],
    mail,
    formReference: (form.json() as { reference: string }).reference,
  };
}

export async function workflowItem(world: PrivacyWorld, pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await clients.dynamo.send(new GetCommand({ TableName: world.tables.workflow, Key: { pk, sk }, ConsistentRead: true }));
  return Item;
}

/** The partition of an address's acknowledgement counters (`ACK#<keyed hash>`), as the product keys it. */
export const ackPartition = (world: PrivacyWorld, email: string): string => `ACK#${keyedHash(world.hashingKey, 'mail-recipient', email.trim().toLowerCase())}`;

// ------------------------------------------------------------------------------------------------
// Everything stored, read with the SDKs

export type TableName = keyof PrivacyWorld['tables'];

export interface StoredItem {
  table: TableName;
  key: string;
  item: Record<string, unknown>;
}

export interface StoredObject {
  key: string;
  body: Buffer;
}

export interface StoredSecret {
  name: string;
  description: string;
  versions: Array<{ id: string; stages: string[]; value: string }>;
}

export interface Snapshot {
  items: StoredItem[];
  objects: StoredObject[];
  secrets: StoredSecret[];
}

export const itemKey = (table: string, pk: unknown, sk: unknown): string => `${table} ${String(pk)} ${String(sk)}`;

/** A full Scan of one of the file's tables (every page, strongly consistent). */
export async function scanAll(world: PrivacyWorld, table: TableName): Promise<StoredItem[]> {
  const items: StoredItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(new ScanCommand({ TableName: world.tables[table], ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) items.push({ table, key: itemKey(table, item.pk, item.sk), item });
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Every object of the file's bucket (ListObjectsV2, every page) with its bytes. */
export async function allObjects(world: PrivacyWorld): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: world.bucket, ContinuationToken: token }));
    for (const entry of page.Contents ?? []) {
      if (entry.Key === undefined) continue;
      const object = await clients.s3.send(new GetObjectCommand({ Bucket: world.bucket, Key: entry.Key }));
      objects.push({ key: entry.Key, body: Buffer.from((await object.Body?.transformToByteArray()) ?? []) });
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects.sort((a, b) => a.key.localeCompare(b.key));
}

async function secretsUnder(prefix: string): Promise<Array<{ name: string; description: string }>> {
  const found: Array<{ name: string; description: string }> = [];
  let token: string | undefined;
  do {
    const page = await clients.secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], IncludePlannedDeletion: true, MaxResults: 100, NextToken: token }));
    for (const entry of page.SecretList ?? []) if (entry.Name?.startsWith(prefix) === true) found.push({ name: entry.Name, description: entry.Description ?? '' });
    token = page.NextToken;
  } while (token !== undefined);
  return found;
}

/** Every secret under the file's prefix (planned deletions included) with every version's value, deprecated ones too. */
export async function allSecrets(world: PrivacyWorld): Promise<StoredSecret[]> {
  const secrets: StoredSecret[] = [];
  for (const { name, description } of await secretsUnder(world.secretPrefix)) {
    const versions: StoredSecret['versions'] = [];
    let token: string | undefined;
    do {
      const page = await clients.secrets.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true, MaxResults: 100, NextToken: token }));
      for (const version of page.Versions ?? []) {
        if (version.VersionId === undefined) continue;
        const value = await clients.secrets.send(new GetSecretValueCommand({ SecretId: name, VersionId: version.VersionId }));
        versions.push({ id: version.VersionId, stages: [...(version.VersionStages ?? [])].sort(), value: value.SecretString ?? Buffer.from(value.SecretBinary ?? []).toString('latin1') });
      }
      token = page.NextToken;
    } while (token !== undefined);
    secrets.push({ name, description, versions: versions.sort((a, b) => a.id.localeCompare(b.id)) });
  }
  return secrets.sort((a, b) => a.name.localeCompare(b.name));
}

export async function snapshot(world: PrivacyWorld): Promise<Snapshot> {
  await world.server().background.idle();
  const items = [...(await scanAll(world, 'state')), ...(await scanAll(world, 'workflow')), ...(await scanAll(world, 'audit'))];
  return { items, objects: await allObjects(world), secrets: await allSecrets(world) };
}

// ------------------------------------------------------------------------------------------------
// Looking for values

/** Every string an item holds (keys included), Sets and binary values too. */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return [String(value)];
  if (value instanceof Uint8Array) return [Buffer.from(value).toString('latin1')];
  if (value instanceof Set || Array.isArray(value)) return [...(value as Iterable<unknown>)].flatMap(stringsOf);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => [key, ...stringsOf(item)]);
  return [];
}

/** An item with its Sets as sorted arrays, for comparing two reads of it. */
export function plain(value: unknown): unknown {
  if (value instanceof Set) return [...(value as Set<unknown>)].map(plain).sort();
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  return value;
}

export interface Finding {
  where: string;
  value: string;
}

/** Where in `text` (case-insensitively) any of `values` occurs. */
export function occurrences(where: string, texts: readonly string[], values: readonly string[]): Finding[] {
  const lowered = texts.map((text) => text.toLowerCase());
  return values.filter((value) => lowered.some((text) => text.includes(value.toLowerCase()))).map((value) => ({ where, value }));
}

/** Every place of the snapshot holding one of `values`: `<table> <pk> <sk>`, `s3:<key>`, `secret:<name>[#version]`. */
export function findValues(shot: Snapshot, values: readonly string[]): Finding[] {
  return [
    ...shot.items.flatMap((stored) => occurrences(stored.key, stringsOf(stored.item), values)),
    ...shot.objects.flatMap((object) => [...occurrences(`s3:${object.key}`, [object.key, object.body.toString('utf8'), object.body.toString('latin1')], values)]),
    ...shot.secrets.flatMap((secret) => [
      ...occurrences(`secret:${secret.name}`, [secret.name, secret.description], values),
      ...secret.versions.flatMap((version) => occurrences(`secret:${secret.name}#${version.id}`, [version.value], values)),
    ]),
  ];
}
