import { Template } from 'aws-cdk-lib/assertions';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iamActions } from '../../infra/bind';
import { repoRoot } from '../../infra/constructs/publisher-function';
import { PublisherStack } from '../../infra/publisher-stack';
import {
  functionSpecs,
  grants,
  permissionCapabilities,
  strongerOf,
  tablePermissionCapabilities,
  type FunctionId,
  type Grants,
  type Permission,
  type SecretScope,
  type TablePermission,
} from '../../shared/routes';
import { functionBindingName } from '../../shared/config';
import { tables as tableDefs, type TableName } from '../../shared/tables';
import { testApp } from '../support/cdk';

const tableLevels = Object.keys(tablePermissionCapabilities) as TablePermission[];
const levels = Object.keys(permissionCapabilities) as Permission[];

describe('grants() merges parts resource by resource', () => {
  it('keeps every resource of every part (a spread would drop the first part’s tables or secrets)', () => {
    expect(grants({ tables: { audit: 'APPEND' }, secrets: { keys: 'RO' } }, { tables: { workflow: 'RO' }, secrets: { app: 'RO' } })).toEqual({
      tables: { audit: 'APPEND', workflow: 'RO' },
      secrets: { keys: 'RO', app: 'RO' },
    });
    expect(grants({ bucket: { 'media/': 'RO' } }, { bucket: { 'mail/inbound/': 'W' } })).toEqual({ bucket: { 'media/': 'RO', 'mail/inbound/': 'W' } });
  });

  it('gives a resource named twice the stronger level, never the later one', () => {
    expect(grants({ tables: { audit: 'RW' } }, { tables: { audit: 'APPEND' } })).toEqual({ tables: { audit: 'RW' } });
    expect(grants({ tables: { audit: 'APPEND' } }, { tables: { audit: 'RO' } })).toEqual({ tables: { audit: 'READ_APPEND' } });
    expect(grants({ secrets: { tokens: 'W' } }, { secrets: { tokens: 'RO' } })).toEqual({ secrets: { tokens: 'RW' } });
    expect(grants({ bucket: { 'media/': 'RW' } }, { bucket: { 'media/': 'RO' } })).toEqual({ bucket: { 'media/': 'RW' } });
  });

  it('adds up the functions parts may invoke, each once, in the order first named', () => {
    expect(grants({ invokes: ['syncBoards'] }, { tables: { audit: 'APPEND' } }, { invokes: ['getHealth', 'syncBoards'] })).toEqual({
      invokes: ['syncBoards', 'getHealth'],
      tables: { audit: 'APPEND' },
    });
    expect(grants({ invokes: [] })).toEqual({ invokes: [] });
    expect(grants({ tables: { audit: 'APPEND' } })).not.toHaveProperty('invokes');
  });

  it('allows mail when any part does, and changes no part', () => {
    const first = { sendMail: true, tables: { audit: 'APPEND' } } satisfies Grants;
    const second = { sendMail: false, tables: { audit: 'RO' } } satisfies Grants;
    expect(grants(first, second)).toEqual({ sendMail: true, tables: { audit: 'READ_APPEND' } });
    expect(grants(second)).toEqual({ sendMail: false, tables: { audit: 'RO' } });
    expect(first).toEqual({ sendMail: true, tables: { audit: 'APPEND' } });
    expect(grants()).toEqual({});
  });

  // The order, as a table: what two table levels on one resource combine to.
  const tableJoins: Record<TablePermission, Record<TablePermission, TablePermission>> = {
    RO: { RO: 'RO', APPEND: 'READ_APPEND', READ_APPEND: 'READ_APPEND', W: 'RW', RW: 'RW' },
    APPEND: { RO: 'READ_APPEND', APPEND: 'APPEND', READ_APPEND: 'READ_APPEND', W: 'W', RW: 'RW' },
    READ_APPEND: { RO: 'READ_APPEND', APPEND: 'READ_APPEND', READ_APPEND: 'READ_APPEND', W: 'RW', RW: 'RW' },
    W: { RO: 'RW', APPEND: 'W', READ_APPEND: 'RW', W: 'W', RW: 'RW' },
    RW: { RO: 'RW', APPEND: 'RW', READ_APPEND: 'RW', W: 'RW', RW: 'RW' },
  };
  it.each(tableLevels)('combines table level %s with every level as documented, whatever the order', (a) => {
    for (const b of tableLevels) {
      expect({ a, b, combined: strongerOf(tablePermissionCapabilities, a, b) }).toEqual({ a, b, combined: tableJoins[a][b] });
      expect(strongerOf(tablePermissionCapabilities, b, a)).toBe(tableJoins[a][b]);
      // Never weaker than either part: everything a or b allows, and nothing else.
      const union = new Set([...tablePermissionCapabilities[a], ...tablePermissionCapabilities[b]]);
      expect(new Set(tablePermissionCapabilities[tableJoins[a][b]])).toEqual(union);
    }
  });

  it('combines secret and bucket levels: RO + W = RW, a level with itself is itself', () => {
    const joins: Record<Permission, Record<Permission, Permission>> = {
      RO: { RO: 'RO', W: 'RW', RW: 'RW' },
      W: { RO: 'RW', W: 'W', RW: 'RW' },
      RW: { RO: 'RW', W: 'RW', RW: 'RW' },
    };
    for (const a of levels) for (const b of levels) expect(strongerOf(permissionCapabilities, a, b)).toBe(joins[a][b]);
  });
});

describe('the effective grants of every function', () => {
  // Pinned: a change here is a change of what a deployed function may do, and belongs in review.
  it('are exactly these', () => {
    const effective = Object.fromEntries(Object.entries(functionSpecs).map(([fnId, spec]) => [fnId, spec.grants]));
    expect(effective).toEqual({
      getHealth: {},
      getPrivacy: { tables: { audit: 'APPEND' }, secrets: { keys: 'RO' } },
      authorizeOperator: { tables: { audit: 'APPEND' }, secrets: { keys: 'RO', operator: 'RO' } },
      getAudit: { tables: { audit: 'READ_APPEND' }, secrets: { keys: 'RO' } },
      createOAuthLink: { tables: { audit: 'APPEND', state: 'APPEND' }, secrets: { keys: 'RO', app: 'RO' } },
      openOAuthLink: { tables: { audit: 'APPEND', state: 'W' }, secrets: { keys: 'RO', app: 'RO' } },
      oauthCallback: {
        tables: { audit: 'APPEND', state: 'RW', workflow: 'RW' },
        secrets: { keys: 'RO', app: 'RO', tokens: 'W' },
      },
      getAccount: { tables: { audit: 'APPEND', workflow: 'RO' }, secrets: { keys: 'RO' } },
      confirmAccount: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO' } },
      disconnectAccount: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO', tokens: 'W' } },
      refreshTokens: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO', app: 'RO', tokens: 'RW' }, sendMail: true },
      startBoardSync: { tables: { audit: 'APPEND', state: 'RW', workflow: 'RO' }, secrets: { keys: 'RO' }, invokes: ['syncBoards'] },
      getBoardSync: { tables: { audit: 'APPEND', state: 'RO' }, secrets: { keys: 'RO' } },
      listBoards: { tables: { audit: 'APPEND', workflow: 'RO' }, secrets: { keys: 'RO' } },
      getBoardSections: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO', app: 'RO', tokens: 'RW' }, sendMail: true },
      createBoard: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO', app: 'RO', tokens: 'RW' }, sendMail: true },
      syncBoards: { tables: { audit: 'APPEND', state: 'RW', workflow: 'RW' }, secrets: { keys: 'RO', app: 'RO', tokens: 'RW' }, sendMail: true, invokes: ['syncBoards'] },
      createPin: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO' }, bucket: { 'media/': 'W' } },
      listPins: { tables: { audit: 'APPEND', workflow: 'RO' }, secrets: { keys: 'RO' } },
      getPin: { tables: { audit: 'APPEND', workflow: 'RO' }, secrets: { keys: 'RO' } },
      updatePin: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO' }, bucket: { 'media/': 'W' } },
      deletePin: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO' }, bucket: { 'media/': 'W' } },
      getPinMedia: { tables: { audit: 'APPEND', workflow: 'RO' }, secrets: { keys: 'RO' }, bucket: { 'media/': 'RO' } },
      approvePin: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO' } },
      rejectPin: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO' } },
      publishPin: { tables: { audit: 'APPEND', workflow: 'RW', state: 'RW' }, secrets: { keys: 'RO', app: 'RO', tokens: 'RW' }, sendMail: true, bucket: { 'media/': 'RO' } },
      checkPin: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO', app: 'RO', tokens: 'RW' }, sendMail: true },
      copyPin: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO' }, bucket: { 'media/': 'RW' } },
      resolvePin: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO', app: 'RO', tokens: 'RW' }, sendMail: true },
      sweepPublishing: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO', app: 'RO', tokens: 'RW' }, sendMail: true },
      reconcilePins: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO', app: 'RO', tokens: 'RW' }, sendMail: true },
      receiveMail: {
        tables: { workflow: 'RW', state: 'W' },
        secrets: { keys: 'RO' },
        bucket: { 'mail/inbound/': 'RW', 'mail/quarantine/': 'RW' },
        sendMail: true,
        supportMail: true,
      },
      listTickets: { tables: { audit: 'APPEND', workflow: 'RO' }, secrets: { keys: 'RO' } },
      getTicket: { tables: { audit: 'APPEND', workflow: 'RO' }, secrets: { keys: 'RO' }, bucket: { 'mail/inbound/': 'RO', 'mail/quarantine/': 'RO' } },
      replyTicket: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO' }, supportMail: true },
      closeTicket: { tables: { audit: 'APPEND', workflow: 'RW' }, secrets: { keys: 'RO' } },
      getSupportForm: { tables: { audit: 'APPEND' }, secrets: { keys: 'RO' } },
      submitSupportRequest: { tables: { audit: 'APPEND', state: 'W', workflow: 'RW' }, secrets: { keys: 'RO' }, sendMail: true },
      // The only function that may change the audit table (pseudonymising security-log entries).
      handlePrivacyRequest: {
        tables: { audit: 'RW', workflow: 'RW', state: 'RW' },
        secrets: { keys: 'RO', tokens: 'W' },
        bucket: { 'media/': 'RW', 'mail/inbound/': 'RW', 'mail/quarantine/': 'RW', 'exports/': 'W' },
      },
      listPrivacyRequests: { tables: { audit: 'READ_APPEND' }, secrets: { keys: 'RO' } },
      getPrivacyExport: { tables: { audit: 'READ_APPEND' }, secrets: { keys: 'RO' }, bucket: { 'exports/': 'RO' } },
    });
  });
});

/**
 * What the code sends, by hand: a curated map, because the code paths go through lazy wiring and
 * ports that a static analysis cannot follow. Each step names the requests it sends and on what,
 * traced from the store methods down to DynamoTable (shared/adapters/dynamo/table.ts), SecretStore
 * (shared/adapters/secret-store.ts) and LambdaAsyncInvoker (shared/adapters/async-invoker.ts: a step
 * that starts a function is `{ 'function:<id>': ['lambda:InvokeFunction'] }`). When the code changes what it sends, change the step here, then
 * the grant: a grant no step needs fails below, and so does a step the grants do not cover.
 */
type Resource = `table:${TableName}` | `secret:${SecretScope}` | `function:${string}` | `bucket:${string}`;
type Step = Partial<Record<Resource, readonly string[]>>;

const steps = {
  /** shared/wiring.ts `hashingKey` → SecretStore.get. */
  hashingKey: { 'secret:keys': ['secretsmanager:GetSecretValue'] },
  /** SecurityLog.write → DynamoTable.create (a conditional PutItem); the client address is hashed. */
  writeSecurityLog: { 'table:audit': ['dynamodb:PutItem'], 'secret:keys': ['secretsmanager:GetSecretValue'] },
  /** SecurityLog.list → DynamoTable.query, on the log partition or the byKind index. */
  listSecurityLog: { 'table:audit': ['dynamodb:Query'] },
  /** functions/authorize-operator.ts → SecretStore.get of `operator/credential`. */
  readOperatorCredential: { 'secret:operator': ['secretsmanager:GetSecretValue'] },
  /** shared/wiring-connect.ts `pinterestApp` → SecretStore.get of `app/pinterest-client`. */
  readPinterestApp: { 'secret:app': ['secretsmanager:GetSecretValue'] },
  /**
   * The per-client limit (shared/http/client-limit.ts) → ClientLimiter.hit → DynamoTable.increment:
   * a conditional UpdateItem (ReturnValues ALL_NEW), a PutItem restarting an expired counter; keyed hash.
   */
  countClient: { 'table:state': ['dynamodb:UpdateItem', 'dynamodb:PutItem'], 'secret:keys': ['secretsmanager:GetSecretValue'] },
  /** OAuthStore.putTicket / putState → DynamoTable.create. */
  putTicket: { 'table:state': ['dynamodb:PutItem'] },
  putState: { 'table:state': ['dynamodb:PutItem'] },
  /** OAuthStore.consumeTicket → DynamoTable.consume: a conditional DeleteItem returning ALL_OLD. */
  consumeTicket: { 'table:state': ['dynamodb:DeleteItem'] },
  /** OAuthStore.consumeState → consume, and DynamoTable.get when refused (another browser or unknown). */
  consumeState: { 'table:state': ['dynamodb:DeleteItem', 'dynamodb:GetItem'] },
  /** AccountStore.get / pinned → DynamoTable.get. */
  readAccount: { 'table:workflow': ['dynamodb:GetItem'] },
  /** AccountStore.replace → create, or transition (a conditional UpdateItem that reads the record when it loses). */
  replaceAccount: { 'table:workflow': ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  /** AccountStore.confirm → pinned (get), create of the pin, transition of the account, taking its own pin back after losing to another account. */
  confirmAccount: { 'table:workflow': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
  /** TokenVault.store → SecretStore.create (a new secret per connection, no tags). */
  storeTokens: { 'secret:tokens': ['secretsmanager:CreateSecret'] },
  /** TokenVault.delete → SecretStore.forceDelete (the previous connection's, or an orphan). */
  deleteTokens: { 'secret:tokens': ['secretsmanager:DeleteSecret'] },
  /** TokenVault.read → SecretStore.get (through the cache, or past it before a refresh). */
  readTokens: { 'secret:tokens': ['secretsmanager:GetSecretValue'] },
  /** TokenVault.update → SecretStore.put (a new AWSCURRENT version after a refresh). */
  updateTokens: { 'secret:tokens': ['secretsmanager:PutSecretValue'] },
  /** AccountStore.update → transition (lease, versions, notices, status; reads the record when it loses). */
  updateAccount: { 'table:workflow': ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  /** EnvironmentRecords.anyWithStatus → query on the byStatus index; removeBoards → query and conditional deletes. */
  environmentRecords: { 'table:workflow': ['dynamodb:Query', 'dynamodb:DeleteItem'] },
  /** OperatorMail → SesMailer.send (SendRawEmail From the verified identity): the `sendMail` grant. */
  sendOperatorMail: {},
  /** BoardSyncJobs.get / current → DynamoTable.get. */
  readSyncJob: { 'table:state': ['dynamodb:GetItem'] },
  /** BoardSyncJobs.start → the pointer (create, or transition which reads when it loses) and the job (create). */
  startSyncJob: { 'table:state': ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  /** BoardSyncJobs.update → transition (reads the record when it loses). */
  updateSyncJob: { 'table:state': ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  /** BoardStore.getBoard / listBoards / getSections / getSnapshot → get and query on the BOARDS#<env> partition. */
  readBoards: { 'table:workflow': ['dynamodb:GetItem', 'dynamodb:Query'] },
  /** BoardStore.putBoards / putBoard / putSections / putSnapshot → DynamoTable.batchPut (BatchWriteItem, 25 a call). */
  writeBoards: { 'table:workflow': ['dynamodb:BatchWriteItem'] },
  /** BoardStore.removeStale → query and conditional deletes of boards gone from Pinterest. */
  removeBoards: { 'table:workflow': ['dynamodb:Query', 'dynamodb:DeleteItem'] },
  /** LambdaAsyncInvoker.invoke('syncBoards', …) → InvokeCommand (Event) on the job function: `invokes: ['syncBoards']`. */
  invokeSyncBoards: { 'function:syncBoards': ['lambda:InvokeFunction'] },
  /** PinStore.get / list → DynamoTable.get, and query on the byStatus index. BoardStore.presence → get. */
  readPins: { 'table:workflow': ['dynamodb:GetItem', 'dynamodb:Query'] },
  /** PinStore.create → DynamoTable.create (a conditional PutItem). */
  createPinRecord: { 'table:workflow': ['dynamodb:PutItem'] },
  /** PinStore.replace → transition (UpdateItem; GetItem when it loses); remove → consume (DeleteItem; GetItem when it loses). */
  changePin: { 'table:workflow': ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem'] },
  /** MediaStore.hold → DynamoTable.update of the reference item, then ObjectStore.put under media/. */
  holdMedia: { 'table:workflow': ['dynamodb:UpdateItem'], 'bucket:media/': ['s3:PutObject'] },
  /** MediaStore.release → update (the reference, the claim), ObjectStore.delete, deleteIf of the reference item. */
  releaseMedia: { 'table:workflow': ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'], 'bucket:media/': ['s3:DeleteObject'] },
  /** MediaStore.read → ObjectStore.get (GetObject; the RO level adds ListBucket so a missing key is NoSuchKey). */
  readMedia: { 'bucket:media/': ['s3:GetObject'] },
  /** MediaStore.share → the reference (UpdateItem), then ObjectStore.get to be sure the bytes are there. */
  shareMedia: { 'table:workflow': ['dynamodb:UpdateItem'], 'bucket:media/': ['s3:GetObject'] },
  /** PublishPacing.reserve → conditional UpdateItems on the environment's counter; a GetItem when refused. */
  pacePublish: { 'table:state': ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  /** TicketStore.get / ticketOfSent → DynamoTable.get. */
  readTicket: { 'table:workflow': ['dynamodb:GetItem'] },
  /** TicketStore.list → query on the byStatus index. */
  listTickets: { 'table:workflow': ['dynamodb:Query'] },
  /** TicketStore.create → DynamoTable.create (a conditional PutItem). */
  createTicket: { 'table:workflow': ['dynamodb:PutItem'] },
  /** TicketStore.update → transition (UpdateItem; GetItem when it loses). */
  changeTicket: { 'table:workflow': ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  /** TicketStore.rememberSent → DynamoTable.batchPut (BatchWriteItem). */
  rememberSentMail: { 'table:workflow': ['dynamodb:BatchWriteItem'] },
  /** ObjectStore.get of the raw message, where the first delivery may have left it. */
  readRawMail: { 'bucket:mail/inbound/': ['s3:GetObject'], 'bucket:mail/quarantine/': ['s3:GetObject'] },
  /** ObjectStore.move: GetObject, PutObject under quarantine, DeleteObject of the original. */
  moveRawMail: { 'bucket:mail/inbound/': ['s3:GetObject', 's3:DeleteObject'], 'bucket:mail/quarantine/': ['s3:PutObject'] },
  /** AcknowledgementCounter.count → DynamoTable.increment (UpdateItem, PutItem to restart); keyed hash. */
  countAcknowledgement: { 'table:state': ['dynamodb:UpdateItem', 'dynamodb:PutItem'], 'secret:keys': ['secretsmanager:GetSecretValue'] },
  /** SesMailer.send From SUPPORT_EMAIL (acknowledgements, replies): the `supportMail` grant; the marker needs the key. */
  sendSupportMail: { 'secret:keys': ['secretsmanager:GetSecretValue'] },
  /** The support form's forward: SesMailer.send From SENDER_EMAIL to SUPPORT_EMAIL (the `sendMail` grant); the marker needs the key. */
  forwardFormRequest: { 'secret:keys': ['secretsmanager:GetSecretValue'] },
  /** PinHolders.claim → DynamoTable.create (conditional PutItem), holderOf → get. */
  pinHolders: { 'table:workflow': ['dynamodb:PutItem', 'dynamodb:GetItem'] },
  /**
   * SubjectRecords.ofAccount / ofEmail: SubjectIndex.ofAccount, the boards partition and TicketStore.naming
   * (Query), the pinned id (GetItem), the pacing counters (Query), the current board sync (GetItem), image keys under the account's prefix (ListObjectsV2), the
   * acknowledgement counters under the address's keyed hash (Query).
   */
  findSubject: {
    'table:workflow': ['dynamodb:Query', 'dynamodb:GetItem'],
    'table:state': ['dynamodb:Query', 'dynamodb:GetItem'],
    'bucket:media/': ['s3:ListBucket'],
    'secret:keys': ['secretsmanager:GetSecretValue'],
  },
  /**
   * SubjectRecords.eraseAccount / eraseEmail: token secrets force-deleted, items removed by deleteIf
   * (conditional DeleteItem; a Pin that would not go is read to tell a 409), a pacing counter's
   * reference to the subject's Pin removed (conditional UpdateItem), ObjectStore.deletePrefix
   * (ListObjectsV2, DeleteObjects) under media/, raw mail listed (to count it) and deleted.
   */
  eraseSubject: {
    'table:workflow': ['dynamodb:DeleteItem', 'dynamodb:GetItem'],
    'table:state': ['dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
    'secret:tokens': ['secretsmanager:DeleteSecret'],
    'bucket:media/': ['s3:ListBucket', 's3:DeleteObject'],
    'bucket:mail/inbound/': ['s3:ListBucket', 's3:DeleteObject'],
    'bucket:mail/quarantine/': ['s3:ListBucket', 's3:DeleteObject'],
  },
  /** LogPseudonyms.naming (Query on the log partition) and pseudonymise (a conditional UpdateItem). */
  pseudonymiseLog: { 'table:audit': ['dynamodb:Query', 'dynamodb:UpdateItem'] },
  /** ComplianceRecords.get / list / about → GetItem, Query. */
  readComplianceRecords: { 'table:audit': ['dynamodb:GetItem', 'dynamodb:Query'] },
  /** ComplianceRecords.create (conditional PutItem) and update (transition: UpdateItem; GetItem when it loses). */
  writeComplianceRecords: { 'table:audit': ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  /** The export document written under exports/, and earlier exports of the subject deleted by a deletion. */
  writeExport: { 'bucket:exports/': ['s3:PutObject', 's3:DeleteObject'] },
  /** GET /privacy/requests/{id}/export → ObjectStore.get under exports/. */
  readExport: { 'bucket:exports/': ['s3:GetObject'] },
} as const satisfies Record<string, Step>;
type StepName = keyof typeof steps;

/**
 * Each function's code path: functions/<entry>.ts, the middleware shared/http/handler.ts adds (the
 * security log on every function but health; the per-client limit where the route table sets one),
 * and the use case (shared/use-cases) with the stores it reaches through shared/wiring*.ts.
 */
/**
 * Every Pinterest call goes through the token source (shared/use-cases/token-source.ts): the account
 * and the secret; a refresh (app credentials, a new secret version, the account's metadata); a
 * revocation (the secret deleted, the operator mailed).
 */
const tokenSource: readonly StepName[] = ['readAccount', 'readTokens', 'readPinterestApp', 'updateAccount', 'updateTokens', 'deleteTokens', 'sendOperatorMail'];

const codePaths: Record<FunctionId, readonly StepName[]> = {
  // `securityLog: false`: touches no secret, table or setting.
  getHealth: [],
  getPrivacy: ['writeSecurityLog'],
  authorizeOperator: ['readOperatorCredential', 'writeSecurityLog'],
  getAudit: ['listSecurityLog', 'writeSecurityLog'],
  // createStartLink.
  createOAuthLink: ['readPinterestApp', 'hashingKey', 'putTicket', 'writeSecurityLog'],
  // openStartLink, behind a per-client limit.
  openOAuthLink: ['countClient', 'readPinterestApp', 'hashingKey', 'consumeTicket', 'putState', 'writeSecurityLog'],
  // completeCallback, behind a per-client limit. It never reads or overwrites a token secret.
  oauthCallback: ['countClient', 'hashingKey', 'readPinterestApp', 'consumeState', 'readAccount', 'storeTokens', 'replaceAccount', 'deleteTokens', 'writeSecurityLog'],
  // describeAccounts.
  getAccount: ['readAccount', 'writeSecurityLog'],
  // confirmAccount (the use case).
  confirmAccount: ['readAccount', 'confirmAccount', 'writeSecurityLog'],
  // disconnectAccount: no token read, only the delete.
  disconnectAccount: ['readAccount', 'environmentRecords', 'deleteTokens', 'updateAccount', 'writeSecurityLog'],
  // runRefreshSchedule (the schedule function writes the log from the use case; mail is sendMail).
  refreshTokens: ['readAccount', ...tokenSource, 'hashingKey', 'writeSecurityLog'],
  // startBoardSync: the account's status, the job pointer and record, then the job function.
  startBoardSync: ['readAccount', 'readSyncJob', 'startSyncJob', 'invokeSyncBoards', 'writeSecurityLog'],
  getBoardSync: ['readSyncJob', 'writeSecurityLog'],
  listBoards: ['readBoards', 'writeSecurityLog'],
  // boardSections: the snapshot, Pinterest through the token source, the cache written back.
  getBoardSections: ['readBoards', 'writeBoards', ...tokenSource, 'writeSecurityLog'],
  createBoard: ['writeBoards', ...tokenSource, 'writeSecurityLog'],
  // runBoardSync / resumeBoardSyncs: the job, the snapshot, Pinterest, and handing itself on.
  syncBoards: ['readSyncJob', 'updateSyncJob', 'readBoards', 'writeBoards', 'removeBoards', ...tokenSource, 'invokeSyncBoards', 'writeSecurityLog'],
  // createDraft: the account and the board, the image held (and let go if the record cannot be written).
  createPin: ['readAccount', 'readBoards', 'holdMedia', 'createPinRecord', 'releaseMedia', 'writeSecurityLog'],
  listPins: ['readPins', 'readBoards', 'writeSecurityLog'],
  getPin: ['readPins', 'readBoards', 'writeSecurityLog'],
  // editDraft: a new image held, the record replaced, the image no longer used let go.
  updatePin: ['readPins', 'readBoards', 'holdMedia', 'changePin', 'releaseMedia', 'writeSecurityLog'],
  deletePin: ['readPins', 'readBoards', 'changePin', 'releaseMedia', 'writeSecurityLog'],
  getPinMedia: ['readPins', 'readMedia', 'writeSecurityLog'],
  approvePin: ['readPins', 'readBoards', 'changePin', 'writeSecurityLog'],
  rejectPin: ['readPins', 'readBoards', 'changePin', 'writeSecurityLog'],
  // publishPin: the record, account and board; the pacing slot; the claim and outcome; the image; Pinterest.
  publishPin: ['readPins', 'readBoards', 'pacePublish', 'changePin', 'readMedia', 'pinHolders', ...tokenSource, 'writeSecurityLog'],
  // checkPin: a published Pin looked up, or a needs_reconcile record reconciled (holders).
  checkPin: ['readPins', 'readBoards', 'changePin', 'pinHolders', ...tokenSource, 'writeSecurityLog'],
  resolvePin: ['readPins', 'readBoards', 'changePin', 'pinHolders', ...tokenSource, 'writeSecurityLog'],
  // The schedules write no security-log entry of their own: no request, no client.
  sweepPublishing: ['readPins', 'changePin', 'pinHolders', ...tokenSource, 'writeSecurityLog'],
  reconcilePins: ['readPins', 'changePin', 'pinHolders', ...tokenSource, 'writeSecurityLog'],
  // copyPin: the source, the new record, the image shared (let go again if the bytes are gone).
  copyPin: ['readPins', 'readBoards', 'createPinRecord', 'shareMedia', 'releaseMedia', 'writeSecurityLog'],
  // receiveMail (no HTTP, no security log): the ticket, the raw message (moved to quarantine), our
  // marker checked, the acknowledgement counted and sent, the operator told.
  receiveMail: ['readTicket', 'readRawMail', 'moveRawMail', 'hashingKey', 'createTicket', 'changeTicket', 'rememberSentMail', 'countAcknowledgement', 'sendSupportMail', 'sendOperatorMail'],
  listTickets: ['listTickets', 'writeSecurityLog'],
  getTicket: ['readTicket', 'readRawMail', 'writeSecurityLog'],
  // replyToTicket: the reply claimed on the ticket, sent, its Message-ID remembered, the outcome recorded.
  replyTicket: ['readTicket', 'changeTicket', 'sendSupportMail', 'rememberSentMail', 'writeSecurityLog'],
  closeTicket: ['readTicket', 'changeTicket', 'writeSecurityLog'],
  // A static page.
  getSupportForm: ['writeSecurityLog'],
  // submitSupportRequest behind a per-client limit: the ticket created (already claiming the forward),
  // forwarded, its Message-ID remembered, the outcome recorded (re-read when it loses a race).
  submitSupportRequest: ['countClient', 'createTicket', 'forwardFormRequest', 'rememberSentMail', 'changeTicket', 'writeSecurityLog'],
  // handlePrivacyRequest: the subject found, the compliance record written first, then the export
  // written, or the subject erased and the log pseudonymised (with earlier exports deleted).
  handlePrivacyRequest: ['findSubject', 'readComplianceRecords', 'writeComplianceRecords', 'writeExport', 'eraseSubject', 'pseudonymiseLog', 'writeSecurityLog'],
  listPrivacyRequests: ['readComplianceRecords', 'writeSecurityLog'],
  getPrivacyExport: ['readComplianceRecords', 'readExport', 'writeSecurityLog'],
};

/** The capability an IAM action belongs to, per kind of resource (infra/bind.ts). */
function capabilityOf<C extends string>(byCapability: Record<C, readonly string[]>, action: string): C {
  const found = (Object.keys(byCapability) as C[]).find((capability) => byCapability[capability].includes(action));
  if (found === undefined) throw new Error(`${action} belongs to no capability in infra/bind.ts`);
  return found;
}

/** The weakest level allowing all of `needed`. */
function weakestLevel<L extends string, C extends string>(byLevel: Record<L, readonly C[]>, needed: Set<C>): L {
  const allowing = (Object.keys(byLevel) as L[]).filter((level) => [...needed].every((c) => byLevel[level].includes(c)));
  const [weakest] = allowing.sort((a, b) => byLevel[a].length - byLevel[b].length);
  if (weakest === undefined) throw new Error(`No level allows ${[...needed].join(', ')}`);
  return weakest;
}

/** The grants a list of steps needs, at the weakest level that covers each resource. */
function neededGrants(path: readonly StepName[]): Grants {
  const needed = new Map<Resource, Set<string>>();
  for (const step of path) {
    for (const [resource, actions] of Object.entries(steps[step] as Step) as [Resource, readonly string[]][]) {
      needed.set(resource, new Set([...(needed.get(resource) ?? []), ...actions]));
    }
  }
  const parts: Grants[] = [...needed].map(([resource, actions]) => {
    const [kind, name] = resource.split(':') as ['table' | 'secret' | 'function' | 'bucket', string];
    if (kind === 'bucket') {
      const capabilities = new Set([...actions].map((a) => capabilityOf(iamActions.bucket, a)));
      return { bucket: { [name]: weakestLevel(permissionCapabilities, capabilities) } };
    }
    if (kind === 'function') {
      const unknown = [...actions].filter((a) => !(iamActions.invokes as readonly string[]).includes(a));
      if (unknown.length > 0) throw new Error(`${unknown.join(', ')} is not an invokes action in infra/bind.ts`);
      return { invokes: [name] };
    }
    if (kind === 'table') {
      const capabilities = new Set([...actions].map((a) => capabilityOf(iamActions.tables, a)));
      return { tables: { [name]: weakestLevel(tablePermissionCapabilities, capabilities) } };
    }
    const capabilities = new Set([...actions].map((a) => capabilityOf(iamActions.secrets, a)));
    return { secrets: { [name]: weakestLevel(permissionCapabilities, capabilities) } };
  });
  return grants(
    ...parts,
    path.includes('sendOperatorMail') || path.includes('forwardFormRequest') ? { sendMail: true } : {},
    path.includes('sendSupportMail') ? { supportMail: true } : {},
  );
}

/** Where a spec's grants differ from what its code path needs: unused grants and missing ones. */
function grantsMismatch(fnId: FunctionId, granted: Grants): string[] {
  const needed = neededGrants(codePaths[fnId]);
  const problems: string[] = [];
  for (const kind of ['tables', 'secrets', 'bucket'] as const) {
    const have: Record<string, string | undefined> = granted[kind] ?? {};
    const want: Record<string, string | undefined> = needed[kind] ?? {};
    for (const name of new Set([...Object.keys(have), ...Object.keys(want)])) {
      if (have[name] !== want[name]) problems.push(`${fnId} ${kind}.${name}: granted ${have[name] ?? 'nothing'}, its code path needs ${want[name] ?? 'nothing'}`);
    }
  }
  if ((granted.sendMail ?? false) !== (needed.sendMail ?? false)) problems.push(`${fnId} sendMail: granted ${String(granted.sendMail)}, its code path ${needed.sendMail === true ? 'sends' : 'sends no'} operator mail`);
  if ((granted.supportMail ?? false) !== (needed.supportMail ?? false)) problems.push(`${fnId} supportMail: granted ${String(granted.supportMail)}, its code path ${needed.supportMail === true ? 'sends' : 'sends no'} support mail`);
  const invokes = { have: new Set(granted.invokes ?? []), want: new Set(needed.invokes ?? []) };
  for (const id of new Set([...invokes.have, ...invokes.want])) {
    if (invokes.have.has(id) !== invokes.want.has(id)) {
      problems.push(`${fnId} invokes.${id}: ${invokes.have.has(id) ? 'granted, its code path needs nothing' : 'not granted, its code path invokes it'}`);
    }
  }
  return problems;
}

describe('every grant is used by its function’s code path, and every request it sends is granted', () => {
  it.each(Object.keys(functionSpecs) as FunctionId[])('%s', (fnId) => {
    expect(grantsMismatch(fnId, functionSpecs[fnId].grants)).toEqual([]);
  });

  it('fails on a grant no step needs, or on a level above what the steps need (the check is live)', () => {
    const spec = functionSpecs.getAccount.grants;
    expect(grantsMismatch('getAccount', grants(spec, { tables: { state: 'RO' } }))).toEqual([
      'getAccount tables.state: granted RO, its code path needs nothing',
    ]);
    expect(grantsMismatch('getAccount', grants(spec, { tables: { workflow: 'RW' } }))).toEqual([
      'getAccount tables.workflow: granted RW, its code path needs RO',
    ]);
    expect(grantsMismatch('oauthCallback', grants(functionSpecs.oauthCallback.grants, { secrets: { tokens: 'RW' } }))).toEqual([
      'oauthCallback secrets.tokens: granted RW, its code path needs W',
    ]);
    expect(grantsMismatch('getPrivacy', { tables: { audit: 'APPEND' } })).toEqual(['getPrivacy secrets.keys: granted nothing, its code path needs RO']);
    expect(grantsMismatch('getAccount', grants(spec, { invokes: ['getHealth'] }))).toEqual(['getAccount invokes.getHealth: granted, its code path needs nothing']);
  });
});

/**
 * Every IAM action a function role may hold, and the SDK commands that need it, as the code
 * constructs them (`new GetCommand(…)`). An action is in use when one of its commands is constructed
 * in shared/ or functions/ (the code that runs in a Lambda; local/ and scripts/ run with the
 * operator's own credentials). Logs actions are used by the Lambda runtime, not by our code. Only
 * actions some function needs are listed: an action missing here fails too (the test below proves it).
 */
const commandsNeeding: Record<string, readonly string[]> = {
  'dynamodb:GetItem': ['GetCommand', 'GetItemCommand'],
  'dynamodb:Query': ['QueryCommand'],
  'dynamodb:PutItem': ['PutCommand', 'PutItemCommand'],
  'dynamodb:UpdateItem': ['UpdateCommand', 'UpdateItemCommand'],
  'dynamodb:DeleteItem': ['DeleteCommand', 'DeleteItemCommand'],
  'dynamodb:BatchWriteItem': ['BatchWriteCommand', 'BatchWriteItemCommand'],
  'secretsmanager:GetSecretValue': ['GetSecretValueCommand'],
  'secretsmanager:CreateSecret': ['CreateSecretCommand'],
  'secretsmanager:PutSecretValue': ['PutSecretValueCommand'],
  'secretsmanager:DeleteSecret': ['DeleteSecretCommand'],
  's3:GetObject': ['GetObjectCommand'],
  's3:ListBucket': ['ListObjectsV2Command'],
  's3:PutObject': ['PutObjectCommand'],
  's3:DeleteObject': ['DeleteObjectCommand', 'DeleteObjectsCommand'],
  'ses:SendRawEmail': ['SendRawEmailCommand'],
  'lambda:InvokeFunction': ['InvokeCommand'],
  // The receipt rule set activation (infra/custom-resources), during deploys.
  'ses:DescribeActiveReceiptRuleSet': ['DescribeActiveReceiptRuleSetCommand'],
  'ses:SetActiveReceiptRuleSet': ['SetActiveReceiptRuleSetCommand'],
};
const runtimeActions = new Set(['logs:CreateLogStream', 'logs:PutLogEvents']);
/** What Lambda itself does with an asynchronous function's role: send an event that failed every retry to its queue. */
const failureActions = new Set(['sqs:SendMessage']);
/** What CDK's custom-resource provider framework calls itself: it waits for the activation function to be active. */
const frameworkActions = new Set(['lambda:GetFunction']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The SDK command classes the Lambda code constructs (the product's functions and the stack's custom resources). */
const commandsSent = new Set(
  ['shared', 'functions', join('infra', 'custom-resources')].flatMap((dir) =>
    sourceFiles(join(repoRoot, dir)).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/new\s+(\w+Command)\s*\(/g)].map((m) => m[1] ?? '')),
  ),
);

/** The actions no command the code sends needs (or that this test does not know). */
function unusedActions(actions: Iterable<string>): string[] {
  return [...new Set(actions)]
    .filter((action) => !runtimeActions.has(action) && !failureActions.has(action) && !frameworkActions.has(action))
    .filter((action) => !(commandsNeeding[action] ?? []).some((command) => commandsSent.has(command)))
    .sort();
}

interface PolicyResource {
  Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } };
}

describe('the synthesized policies', () => {
  const stack = new PublisherStack(testApp(), 'Grants', {
    settings: {
      PUBLIC_BASE_URL: 'https://publisher.example.test',
      OPERATOR_NOTIFY_EMAIL: 'operator@example.test',
      SENDER_EMAIL: 'publisher@notices.ecooffice.net',
      SUPPORT_EMAIL: 'info@ecooffice.net',
    },
  });
  const template = Template.fromStack(stack);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as PolicyResource[];
  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  const tableArns = new Map((Object.keys(tableDefs) as TableName[]).map((name) => [JSON.stringify(stack.resolve(stack.tables[name].tableArn)), name]));
  const bucketGrantPrefixes = [...new Set(Object.values(functionSpecs).flatMap((spec) => Object.keys((spec.grants).bucket ?? {})))];

  /** A readable name for a statement's resource: `table:audit`, `table:audit/index`, `secret:keys`, `logs`. */
  function resourceName(fnId: FunctionId, resource: unknown): string {
    const text = JSON.stringify(resource);
    const secret = /secret:mdz-publisher\/(\w+)\/\*/.exec(text);
    if (secret) return `secret:${secret[1] ?? ''}`;
    // The tables and the bucket are the data stack's: named by their fixed names' ARNs.
    for (const [arn, name] of tableArns) {
      if (text === arn) return `table:${name}`;
      if (text === JSON.stringify(stack.resolve(`${stack.tables[name].tableArn}/index/*`))) return `table:${name}/index`;
    }
    if (text === JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.functions[fnId].logGroup), 'Arn'] })) return 'logs';
    const failures = stack.functions[fnId].failures;
    if (failures !== undefined && text === JSON.stringify({ 'Fn::GetAtt': [logicalId(failures), 'Arn'] })) return 'failures';
    const identity = /:ses:.*:identity\/([^"]+)"/.exec(text);
    if (identity) return `ses:identity/${identity[1] ?? ''}`;
    if (text === JSON.stringify(stack.resolve(stack.bucket.bucketArn))) return 'bucket';
    const prefix = bucketGrantPrefixes.find((candidate) => text === JSON.stringify(stack.resolve(stack.bucket.arnForObjects(`${candidate}*`))));
    if (prefix !== undefined) return `bucket:${prefix}`;
    const invoked = /:lambda:.*:function:([\w-]+)"/.exec(text);
    const target = invoked === null ? undefined : (Object.keys(functionSpecs) as FunctionId[]).find((id) => stack.functions[id].physicalName === invoked[1]);
    if (target !== undefined) return `function:${target}`;
    return text;
  }

  /** Every (resource, action) the function's role holds, as `resource action`. */
  function granted(fnId: FunctionId): string[] {
    const roleId = logicalId(stack.functions[fnId].role);
    return policies
      .filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .flatMap((s) => [s.Action].flat().flatMap((action) => [s.Resource].flat().map((r) => `${resourceName(fnId, r)} ${action}`)))
      .sort();
  }

  /** What the spec's levels allow, spelled out independently of infra/bind.ts's helpers. */
  function expected(fnId: FunctionId): string[] {
    const spec: Grants = functionSpecs[fnId].grants;
    const out = [...runtimeActions].map((action) => `logs ${action}`);
    if (stack.functions[fnId].failures !== undefined) out.push(...[...failureActions].map((action) => `failures ${action}`));
    for (const [name, level] of Object.entries(spec.tables ?? {}) as [TableName, TablePermission][]) {
      for (const capability of tablePermissionCapabilities[level]) {
        for (const action of iamActions.tables[capability]) {
          out.push(`table:${name} ${action}`);
          if (capability === 'read' && tableDefs[name].indexes.length > 0) out.push(`table:${name}/index ${action}`);
        }
      }
    }
    for (const [scope, level] of Object.entries(spec.secrets ?? {}) as [SecretScope, Permission][]) {
      for (const capability of permissionCapabilities[level]) for (const action of iamActions.secrets[capability]) out.push(`secret:${scope} ${action}`);
    }
    // The sender identity (operator notices) and the support identity: each address and its domain.
    const identities = new Set([
      ...(spec.sendMail === true ? ['publisher@notices.ecooffice.net', 'notices.ecooffice.net'] : []),
      ...(spec.supportMail === true ? ['info@ecooffice.net', 'ecooffice.net'] : []),
    ]);
    for (const identity of identities) for (const action of iamActions.sendMail) out.push(`ses:identity/${identity} ${action}`);
    for (const id of spec.invokes ?? []) for (const action of iamActions.invokes) out.push(`function:${id} ${action}`);
    // Object actions on the prefix; listing on the bucket (limited to the prefix by a condition).
    for (const [prefix, level] of Object.entries<Permission>(spec.bucket ?? {})) {
      for (const capability of permissionCapabilities[level]) {
        for (const action of iamActions.bucket[capability]) out.push(action === 's3:ListBucket' ? `bucket ${action}` : `bucket:${prefix} ${action}`);
      }
    }
    return out.sort();
  }

  it.each(Object.keys(functionSpecs) as FunctionId[])('give %s exactly what its spec grants, covering every request its code path sends', (fnId) => {
    const actual = granted(fnId);
    expect(actual).toEqual(expected(fnId));
    // Listing is granted on the bucket (limited to the prefix by a condition), not on the prefix's objects.
    const sent = codePaths[fnId].flatMap((step) =>
      (Object.entries(steps[step] as Step) as [Resource, readonly string[]][]).flatMap(([resource, actions]) =>
        actions.map((a) => (a === 's3:ListBucket' && resource.startsWith('bucket:') ? `bucket ${a}` : `${resource} ${a}`)),
      ),
    );
    expect([...new Set(sent)].filter((request) => !actual.includes(request))).toEqual([]);
  });

  it.each(Object.keys(functionSpecs) as FunctionId[])('bind %s to exactly the functions it may invoke, by their fixed names', (fnId) => {
    const lambda = template.findResources('AWS::Lambda::Function')[logicalId(stack.functions[fnId].fn)] as {
      Properties: { FunctionName?: string; Environment: { Variables: Record<string, unknown> } };
    };
    const bindings = Object.fromEntries(Object.entries(lambda.Properties.Environment.Variables).filter(([name]) => name.startsWith('FUNCTION_')));
    const invokes: readonly string[] = functionSpecs[fnId].grants.invokes ?? [];
    expect(bindings).toEqual(Object.fromEntries(invokes.map((id) => [functionBindingName(id), `Grants-${id}`])));
    // A function something invokes has a fixed name (the one its callers are bound to); the others keep CloudFormation's.
    const invoked = Object.values(functionSpecs).some((spec) => (spec.grants.invokes ?? []).includes(fnId));
    expect(lambda.Properties.FunctionName).toBe(invoked ? `Grants-${fnId}` : undefined);
  });

  it('hold no action that no SDK command the code sends needs (DescribeSecret, TagResource, Scan, BatchGetItem, …)', () => {
    expect(commandsSent.size).toBeGreaterThan(5);
    const inTemplate = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).flatMap((s) => [s.Action].flat());
    const everyLevel = [
      ...Object.values(iamActions.tables),
      ...Object.values(iamActions.secrets),
      ...Object.values(iamActions.bucket),
      iamActions.sendMail,
      iamActions.invokes,
    ].flat();
    expect(unusedActions([...inTemplate, ...everyLevel])).toEqual([]);
  });

  it('fails on an action no command needs (the check is live)', () => {
    expect(unusedActions(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:TagResource', 'dynamodb:Scan', 'dynamodb:BatchGetItem'])).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:Scan',
      'secretsmanager:DescribeSecret',
      'secretsmanager:TagResource',
    ]);
  });
});
