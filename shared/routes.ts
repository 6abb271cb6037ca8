import type { TableName } from './tables';

/**
 * The route table and the schedule table: the single description of the product's API and timers.
 * The CDK stack (infra/) and the local server (local/) are both built from it, so a route added here
 * exists in both. Grants are declared with each function so least privilege is reviewed in one place.
 */

export type Access = 'public' | 'operator';

/**
 * Permission levels. Each level is a set of capabilities; infra/bind.ts turns each capability into
 * the IAM actions the code sends for it, and `grants()` combines two levels on the same resource by
 * the union of their capabilities.
 *
 * Secrets and bucket prefixes: `RO` (read), `W` (write) and `RW` (both).
 */
export type Permission = 'RO' | 'W' | 'RW';
export type Capability = 'read' | 'write';
export const permissionCapabilities: Record<Permission, readonly Capability[]> = {
  RO: ['read'],
  W: ['write'],
  RW: ['read', 'write'],
};

/**
 * Tables split writing in two, so the security log can be append-only: `put` creates an item (the
 * stores' creates are conditional on the key being free), `change` updates or deletes one. Levels:
 * `RO` (read), `APPEND` (put only), `READ_APPEND` (read and put), `W` (put and change: every write,
 * no read) and `RW` (everything).
 */
export type TablePermission = 'RO' | 'APPEND' | 'READ_APPEND' | 'W' | 'RW';
export type TableCapability = 'read' | 'put' | 'change';
export const tablePermissionCapabilities: Record<TablePermission, readonly TableCapability[]> = {
  RO: ['read'],
  APPEND: ['put'],
  READ_APPEND: ['read', 'put'],
  W: ['put', 'change'],
  RW: ['read', 'put', 'change'],
};
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Secrets live under the deployment's prefix, grouped so each function can be granted one group. */
export type SecretScope = 'keys' | 'app' | 'operator' | 'tokens';

export interface Grants {
  tables?: Partial<Record<TableName, TablePermission>>;
  secrets?: Partial<Record<SecretScope, Permission>>;
  /** Key prefixes in the data bucket (image bytes, raw mail). */
  bucket?: Record<string, Permission>;
  /** May send mail as the verified sender identity (SENDER_EMAIL: operator notices). */
  sendMail?: boolean;
  /** May send mail as the support address (SUPPORT_EMAIL: acknowledgements and replies to requesters). */
  supportMail?: boolean;
  /**
   * Functions (ids in `functionSpecs`) this one may start asynchronously (Lambda `Invoke`,
   * `InvocationType: Event`), itself included. Plain strings: typing them as FunctionId would make
   * `functionSpecs` refer to itself; infra/bind.ts refuses an id that is not a function at synth time.
   */
  invokes?: readonly string[];
}

/**
 * The stronger of two levels. A level is stronger than another when its capabilities include the
 * other's: APPEND < READ_APPEND < RW, APPEND < W < RW, RO < READ_APPEND (tables); RO < RW, W < RW
 * (secrets, bucket). Two levels neither of which includes the other combine to the weakest level
 * that allows both (the union of their capabilities): RO + APPEND = READ_APPEND, RO + W = RW,
 * READ_APPEND + W = RW. The result never depends on the order of the parts.
 */
export function strongerOf<L extends string, C extends string>(levels: Record<L, readonly C[]>, a: L, b: L): L {
  const wanted = new Set<C>([...levels[a], ...levels[b]]);
  const found = (Object.keys(levels) as L[]).find(
    (level) => levels[level].length === wanted.size && levels[level].every((capability) => wanted.has(capability)),
  );
  // Cannot happen with the levels above (every union of two of them is one of them); tests check all pairs.
  if (found === undefined) throw new Error(`No permission level combines ${a} and ${b}`);
  return found;
}

function mergeLevels<L extends string, C extends string, R extends Partial<Record<string, L>>>(
  levels: Record<L, readonly C[]>,
  into: R | undefined,
  part: R,
): R {
  const merged: Partial<Record<string, L>> = { ...into };
  for (const [key, level] of Object.entries<L | undefined>(part)) {
    if (level === undefined) continue;
    const existing = merged[key];
    merged[key] = existing === undefined ? level : strongerOf(levels, existing, level);
  }
  return merged as R;
}

/**
 * Combines grant parts resource by resource: tables, secret scopes and bucket prefixes are merged per
 * key (never replaced, as a spread would), two parts naming the same resource get the stronger level
 * of the two (`strongerOf`), mail is allowed when any part allows it, and the functions a part may
 * invoke are added to the others' (a union, each once). Lets a spec say each need
 * once, next to its reason: `grants(securityLogging, { secrets: { operator: 'RO' } })`.
 */
export function grants(...parts: readonly Grants[]): Grants {
  const merged: Grants = {};
  for (const part of parts) {
    if (part.tables !== undefined) merged.tables = mergeLevels(tablePermissionCapabilities, merged.tables, part.tables);
    if (part.secrets !== undefined) merged.secrets = mergeLevels(permissionCapabilities, merged.secrets, part.secrets);
    if (part.bucket !== undefined) merged.bucket = mergeLevels(permissionCapabilities, merged.bucket, part.bucket);
    if (part.sendMail !== undefined) merged.sendMail = merged.sendMail === true || part.sendMail;
    if (part.supportMail !== undefined) merged.supportMail = merged.supportMail === true || part.supportMail;
    if (part.invokes !== undefined) merged.invokes = [...new Set([...(merged.invokes ?? []), ...part.invokes])];
  }
  return merged;
}

export interface FunctionSpec {
  /** Handler module (exports `handler`), relative to the repository root. */
  entry: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  grants: Grants;
  /** Content files copied beside the bundle; read at cold start with `readContent`. */
  assets?: readonly string[];
  /** Calls Pinterest: only such functions may bundle the Pinterest client (a budget test checks). */
  callsPinterest?: true;
  /**
   * Invoked asynchronously by an AWS service (an SES receipt rule's Lambda action): the stack lets that
   * service invoke it from this account only, and sets how Lambda retries a failed event and how long
   * it keeps one.
   */
  asyncSource?: { service: 'ses'; retryAttempts: 0 | 1 | 2; maxEventAgeSeconds: number };
}

/**
 * What every function that writes the security log needs: appending to the audit table (PutItem only:
 * no update or delete, the log is append-only) and the hashing key (the client address is stored as a
 * keyed hash).
 */
const securityLogging = { tables: { audit: 'APPEND' }, secrets: { keys: 'RO' } } as const satisfies Grants;

/**
 * What a function calling Pinterest through the token source needs: the account (lease, versions,
 * status), the token secret (read; a refresh writes a new version; a revocation deletes it), the app
 * credentials (HTTP Basic for a refresh), and mail for the operator notice of a revocation.
 */
const tokenUsing = { tables: { workflow: 'RW' }, secrets: { tokens: 'RW', app: 'RO' }, sendMail: true } as const satisfies Grants;

/**
 * The per-client counters of the routes with a `clientLimit` (below): one conditional UpdateItem per
 * request, and a PutItem that restarts an expired counter. Writes only.
 */
const clientLimiting = { tables: { state: 'W' } } as const satisfies Grants;

/**
 * Raw mail in the data bucket: received under `mail/inbound/`, moved under `mail/quarantine/` when a
 * verdict says so (read both: a redelivery finds the object where the first delivery left it).
 */
const rawMail = { bucket: { 'mail/inbound/': 'RW', 'mail/quarantine/': 'RW' } } as const satisfies Grants;

/** The Pinterest app id and secret (`app/pinterest-client`). */
const pinterestApp = { secrets: { app: 'RO' } } as const satisfies Grants;

export const functionSpecs = {
  getHealth: {
    entry: 'functions/get-health.ts',
    description: 'Liveness: answers without touching secrets or data',
    memoryMb: 256,
    timeoutSeconds: 5,
    grants: /* @__PURE__ */ grants(),
  },
  getPrivacy: {
    entry: 'functions/get-privacy.ts',
    description: 'Serves the privacy policy as an HTML page',
    memoryMb: 256,
    timeoutSeconds: 5,
    grants: /* @__PURE__ */ grants(securityLogging),
    assets: ['shared/content/privacy-policy.txt'],
  },
  authorizeOperator: {
    entry: 'functions/authorize-operator.ts',
    description: 'Lambda authorizer: checks the operator credential against its stored hash',
    memoryMb: 256,
    timeoutSeconds: 5,
    grants: /* @__PURE__ */ grants(securityLogging, { secrets: { operator: 'RO' } }),
  },
  getAudit: {
    entry: 'functions/get-audit.ts',
    description: 'Lists the security log, newest first',
    memoryMb: 256,
    timeoutSeconds: 10,
    // Queries the log partition and the byKind index; with securityLogging: READ_APPEND.
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { audit: 'RO' } }),
  },
  createOAuthLink: {
    entry: 'functions/create-oauth-link.ts',
    description: 'Creates a single-use link that starts the Pinterest connection',
    memoryMb: 256,
    timeoutSeconds: 10,
    // The app credentials are read to refuse a link that could only fail (not configured → 409);
    // the ticket is one conditional PutItem.
    grants: /* @__PURE__ */ grants(securityLogging, pinterestApp, { tables: { state: 'APPEND' } }),
  },
  openOAuthLink: {
    entry: 'functions/open-oauth-link.ts',
    description: 'Turns a connect link into a browser cookie and a redirect to Pinterest',
    memoryMb: 256,
    timeoutSeconds: 10,
    // The ticket is consumed by a conditional DeleteItem and the state stored by a PutItem: no read.
    grants: /* @__PURE__ */ grants(securityLogging, clientLimiting, pinterestApp, { tables: { state: 'W' } }),
  },
  oauthCallback: {
    entry: 'functions/oauth-callback.ts',
    description: 'OAuth callback: exchanges the code, checks the account, stores the tokens',
    memoryMb: 512,
    // Two serial Pinterest calls of 8 s each plus storage, inside API Gateway's 30 s.
    timeoutSeconds: 25,
    callsPinterest: true,
    // State: a refused consume reads the state to tell another browser from an unknown state.
    // Workflow: reads the account and the pin, creates or replaces the account. Tokens: creates the
    // connection's secret and deletes the previous one, never reads or overwrites one.
    grants: /* @__PURE__ */ grants(securityLogging, clientLimiting, pinterestApp, {
      tables: { state: 'RW', workflow: 'RW' },
      secrets: { tokens: 'W' },
    }),
  },
  getAccount: {
    entry: 'functions/get-account.ts',
    description: 'Shows the connected accounts, never a token',
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RO' } }),
  },
  confirmAccount: {
    entry: 'functions/confirm-account.ts',
    description: 'Confirms and pins the connected account',
    memoryMb: 256,
    timeoutSeconds: 10,
    // Reads the account and the pin, creates the pin, updates the account.
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RW' } }),
  },
  disconnectAccount: {
    entry: 'functions/disconnect-account.ts',
    description: 'Disconnects an environment: deletes its tokens and synced boards, keeps the record for audit',
    memoryMb: 256,
    timeoutSeconds: 20,
    // Workflow: reads the account and the Pin status index, updates the account, deletes boards.
    // Tokens: deletes the connection's secret, never reads it.
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RW' }, secrets: { tokens: 'W' } }),
  },
  startBoardSync: {
    entry: 'functions/start-board-sync.ts',
    description: "Starts a board sync (or answers the running one) and hands it to the job function",
    memoryMb: 256,
    timeoutSeconds: 10,
    // State: the job pointer and records. Workflow: the account's status. Invokes the job function.
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { state: 'RW', workflow: 'RO' }, invokes: ['syncBoards'] }),
  },
  getBoardSync: {
    entry: 'functions/get-board-sync.ts',
    description: "Shows a board sync job's progress",
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { state: 'RO' } }),
  },
  listBoards: {
    entry: 'functions/list-boards.ts',
    description: "Lists an environment's board snapshot",
    memoryMb: 256,
    timeoutSeconds: 15,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RO' } }),
  },
  getBoardSections: {
    entry: 'functions/get-board-sections.ts',
    description: "Shows a board's sections, fetched from Pinterest once and cached",
    memoryMb: 256,
    // At most 4 s waiting for another's refresh, an 8 s call, an 8 s refresh and the call again: inside API Gateway's 30 s.
    timeoutSeconds: 29,
    callsPinterest: true,
    grants: /* @__PURE__ */ grants(securityLogging, tokenUsing, { tables: { workflow: 'RW' } }),
  },
  createBoard: {
    entry: 'functions/create-board.ts',
    description: 'Creates a board at Pinterest and adds it to the snapshot',
    memoryMb: 256,
    // At most 4 s waiting for another's refresh, an 8 s call, an 8 s refresh and the call again: inside API Gateway's 30 s.
    timeoutSeconds: 29,
    callsPinterest: true,
    grants: /* @__PURE__ */ grants(securityLogging, tokenUsing, { tables: { workflow: 'RW' } }),
  },
  syncBoards: {
    entry: 'functions/sync-boards.ts',
    description: 'The board sync job: reads every page of boards into the snapshot; pauses on rate limits, resumes on schedule',
    memoryMb: 512,
    // Under the refresh lease (tokenLeaseSeconds); a longer sync hands itself to a fresh invocation.
    timeoutSeconds: 80,
    callsPinterest: true,
    // State: its job record. Workflow: the snapshot (batch writes, stale removals) and the account.
    // Invokes itself to go on when time runs short.
    grants: /* @__PURE__ */ grants(securityLogging, tokenUsing, { tables: { state: 'RW', workflow: 'RW' }, invokes: ['syncBoards'] }),
  },
  createPin: {
    entry: 'functions/create-pin.ts',
    description: 'Creates a Pin draft on a board of the snapshot; stores base64 images in the data bucket',
    // A 4 MiB image arrives as about 5.6 MB of base64 and is hashed and stored.
    memoryMb: 512,
    timeoutSeconds: 15,
    // Workflow: the account, the board snapshot, the new record and the image's reference item.
    // Bucket: writes the image under media/ (content-addressed), never reads or lists.
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RW' }, bucket: { 'media/': 'W' } }),
  },
  listPins: {
    entry: 'functions/list-pins.ts',
    description: "Lists an environment's Pin records of one status, newest change first",
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RO' } }),
  },
  getPin: {
    entry: 'functions/get-pin.ts',
    description: 'Shows a Pin record with its history',
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RO' } }),
  },
  updatePin: {
    entry: 'functions/update-pin.ts',
    description: 'Edits a Pin record at the version the operator saw; drops an approval',
    memoryMb: 512,
    timeoutSeconds: 15,
    // A new image is written under media/; the old one is deleted when no record holds it any more.
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RW' }, bucket: { 'media/': 'W' } }),
  },
  deletePin: {
    entry: 'functions/delete-pin.ts',
    description: 'Deletes a draft, rejected or failed Pin record, and its image when no other record holds it',
    memoryMb: 256,
    timeoutSeconds: 15,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RW' }, bucket: { 'media/': 'W' } }),
  },
  getPinMedia: {
    entry: 'functions/get-pin-media.ts',
    description: "Serves a Pin record's stored image to the operator",
    // Up to 4 MiB of bytes, answered base64 (under Lambda's 6 MB response limit).
    memoryMb: 512,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RO' }, bucket: { 'media/': 'RO' } }),
  },
  approvePin: {
    entry: 'functions/approve-pin.ts',
    description: 'Approves the exact content of a Pin draft (stores its hash)',
    memoryMb: 256,
    timeoutSeconds: 10,
    // Reads the record and its board, then one conditional write.
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RW' } }),
  },
  rejectPin: {
    entry: 'functions/reject-pin.ts',
    description: 'Rejects a Pin draft or approved record with a reason',
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RW' } }),
  },
  publishPin: {
    entry: 'functions/publish-pin.ts',
    description: 'The Pin-creation function: publishes an approved record to Pinterest exactly once',
    // A 4 MiB image is read and sent base64.
    memoryMb: 512,
    // Two 7 s Pin calls around an 8 s token refresh (and at most 4 s waiting for another's), plus storage, inside API Gateway's 30 s; the
    // claim's lease (2 minutes) outlasts it.
    timeoutSeconds: 29,
    callsPinterest: true,
    // State: the pacing counter (conditional updates, a read when refused). Workflow: the record, the
    // board, the account (and the token source's writes). Bucket: reads the stored image.
    grants: /* @__PURE__ */ grants(securityLogging, tokenUsing, { tables: { state: 'RW', workflow: 'RW' }, bucket: { 'media/': 'RO' } }),
  },
  checkPin: {
    entry: 'functions/check-pin.ts',
    description: 'Asks Pinterest whether a published Pin is still there',
    memoryMb: 256,
    // At most 4 s waiting for another's refresh, an 8 s call, an 8 s refresh and the call again: inside API Gateway's 30 s.
    timeoutSeconds: 29,
    callsPinterest: true,
    grants: /* @__PURE__ */ grants(securityLogging, tokenUsing, { tables: { workflow: 'RW' } }),
  },
  copyPin: {
    entry: 'functions/copy-pin.ts',
    description: 'Makes a new draft with the content of any Pin record',
    memoryMb: 256,
    timeoutSeconds: 15,
    // The new record and a reference to the source's stored image (read once to be sure it is there).
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RW' }, bucket: { 'media/': 'RW' } }),
  },
  resolvePin: {
    entry: 'functions/resolve-pin.ts',
    description: 'The operator settles a needs_reconcile Pin record: published (a Pin checked at Pinterest) or approved',
    memoryMb: 256,
    // At most 4 s waiting for another's refresh, an 8 s call, an 8 s refresh and the call again: inside API Gateway's 30 s.
    timeoutSeconds: 29,
    callsPinterest: true,
    // Workflow: the record and the Pin holder index (and the token source's account writes).
    grants: /* @__PURE__ */ grants(securityLogging, tokenUsing, { tables: { workflow: 'RW' } }),
  },
  sweepPublishing: {
    entry: 'functions/sweep-publishing.ts',
    description: 'Every 5 minutes: publish attempts whose lease ended become needs_reconcile and are reconciled; emits StuckPinRecords',
    memoryMb: 256,
    // Under the refresh lease (tokenLeaseSeconds), like every function that calls Pinterest.
    timeoutSeconds: 80,
    callsPinterest: true,
    grants: /* @__PURE__ */ grants(securityLogging, tokenUsing, { tables: { workflow: 'RW' } }),
  },
  reconcilePins: {
    entry: 'functions/reconcile-pins.ts',
    description: 'Every 15 minutes: looks for the Pins of needs_reconcile records at Pinterest',
    memoryMb: 256,
    timeoutSeconds: 80,
    callsPinterest: true,
    grants: /* @__PURE__ */ grants(securityLogging, tokenUsing, { tables: { workflow: 'RW' } }),
  },
  refreshTokens: {
    entry: 'functions/refresh-tokens.ts',
    description: 'Daily: refreshes tokens before they expire, detects revocation, mails the operator once per condition',
    memoryMb: 256,
    // Under the refresh lease (tokenLeaseSeconds), so a lease that has ended has no live holder.
    timeoutSeconds: 60,
    callsPinterest: true,
    // Workflow: the account (lease, versions, notices). Tokens: reads, writes new versions, deletes a
    // revoked connection's secret. App: HTTP Basic at the token endpoint. Mail: operator notices.
    grants: /* @__PURE__ */ grants(securityLogging, pinterestApp, { tables: { workflow: 'RW' }, secrets: { tokens: 'RW' }, sendMail: true }),
  },
  receiveMail: {
    entry: 'functions/receive-mail.ts',
    description: 'Inbound support mail (SES receipt rule, asynchronous): a ticket per message, quarantine, safe acknowledgements, the operator told',
    memoryMb: 512,
    timeoutSeconds: 30,
    // SES invokes it with the event; Lambda retries a failed one twice, each delivery finishing what
    // the last left (idempotent on SES's message id). Six hours, then the event is dropped (issue 22
    // adds the failure destination and its alarm). Written as a literal: esbuild keeps an object
    // holding `6 * 3600`, which would put this whole table in every bundle.
    asyncSource: { service: 'ses', retryAttempts: 2, maxEventAgeSeconds: 21_600 },
    // Workflow: the ticket (conditional create and updates) and the sent-mail index. State: the
    // per-sender acknowledgement counter. Bucket: reads the raw message, moves it to quarantine.
    // Keys: the marker check and the counter's keyed hash. Mail: acknowledgements as SUPPORT_EMAIL,
    // the operator's notice as SENDER_EMAIL.
    grants: /* @__PURE__ */ grants(rawMail, { tables: { workflow: 'RW', state: 'W' }, secrets: { keys: 'RO' }, sendMail: true, supportMail: true }),
  },
  getSupportForm: {
    entry: 'functions/get-support-form.ts',
    description: 'Serves the public support request form',
    memoryMb: 256,
    timeoutSeconds: 5,
    grants: /* @__PURE__ */ grants(securityLogging),
  },
  submitSupportRequest: {
    entry: 'functions/submit-support-request.ts',
    description: 'Takes a support form request: a ticket, forwarded to SUPPORT_EMAIL (From SENDER_EMAIL, Reply-To the submitter)',
    memoryMb: 256,
    timeoutSeconds: 15,
    // Behind a per-client limit. Workflow: the ticket (create, the forward's claim and outcome) and the
    // sent-mail index. Mail: as SENDER_EMAIL, to the support address.
    grants: /* @__PURE__ */ grants(securityLogging, clientLimiting, { tables: { workflow: 'RW' }, sendMail: true }),
  },
  listTickets: {
    entry: 'functions/list-tickets.ts',
    description: 'Lists support tickets of one status, newest first, with their verdicts',
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RO' } }),
  },
  getTicket: {
    entry: 'functions/get-ticket.ts',
    description: 'Shows a support ticket: headers and text read from the raw message, attachments, replies',
    memoryMb: 512,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RO' }, bucket: { 'mail/inbound/': 'RO', 'mail/quarantine/': 'RO' } }),
  },
  replyTicket: {
    entry: 'functions/reply-ticket.ts',
    description: "Sends the operator's reply to a ticket's requester from SUPPORT_EMAIL, threaded, and records it",
    memoryMb: 256,
    timeoutSeconds: 15,
    // The ticket (a reply is claimed before it is sent) and the sent-mail index; the marker needs the key.
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RW' }, supportMail: true }),
  },
  closeTicket: {
    entry: 'functions/close-ticket.ts',
    description: 'Closes a support ticket',
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { workflow: 'RW' } }),
  },
  handlePrivacyRequest: {
    entry: 'functions/handle-privacy-request.ts',
    description: 'Privacy requests: exports everything held about a subject, or erases it and pseudonymises the security log',
    memoryMb: 512,
    timeoutSeconds: 28,
    // The one function that may change security-log entries (audit RW: pseudonymising them, and the
    // compliance records). Workflow: accounts, Pin records, holders, image references, boards,
    // tickets, the sent-mail index (read and delete). State: acknowledgement counters (read, delete).
    // Tokens: force-deletes the account's secrets (write = DeleteSecret; never reads a token). Bucket:
    // image bytes under the account's prefix (list, delete), raw and quarantined mail (read, delete),
    // exports (write; delete earlier ones; never read back here).
    grants: /* @__PURE__ */ grants(securityLogging, {
      tables: { audit: 'RW', workflow: 'RW', state: 'RW' },
      secrets: { tokens: 'W' },
      bucket: { 'media/': 'RW', 'mail/inbound/': 'RW', 'mail/quarantine/': 'RW', 'exports/': 'W' },
    }),
  },
  listPrivacyRequests: {
    entry: 'functions/list-privacy-requests.ts',
    description: 'Lists the compliance records of privacy requests, newest first',
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { audit: 'RO' } }),
  },
  getPrivacyExport: {
    entry: 'functions/get-privacy-export.ts',
    description: "Serves a privacy export's document again until it expires",
    memoryMb: 256,
    timeoutSeconds: 10,
    grants: /* @__PURE__ */ grants(securityLogging, { tables: { audit: 'RO' }, bucket: { 'exports/': 'RO' } }),
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionId = keyof typeof functionSpecs;

/** An API Gateway throttle: steady requests per second and the burst above it. */
export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

/**
 * Route-level throttles (API Gateway keeps one bucket per route), so a flood of public requests
 * cannot use up what the operator's routes need. Public routes get less than operator routes; the
 * public routes that write (the OAuth link and callback) the least. The stage default covers any
 * route without its own setting.
 */
export const throttles = {
  operator: { rateLimit: 10, burstLimit: 20 },
  publicRead: { rateLimit: 5, burstLimit: 10 },
  publicWrite: { rateLimit: 2, burstLimit: 5 },
} as const satisfies Record<string, Throttle>;
export const stageThrottle: Throttle = throttles.publicRead;

/**
 * A per-client limit on a public route that writes: at most `max` requests per client address in
 * each fixed window. Counted in the state table under a keyed hash of API Gateway's
 * `requestContext.http.sourceIp` (never X-Forwarded-For, which a client can set), kept only until
 * the window ends.
 */
export interface ClientLimit {
  max: number;
  windowSeconds: number;
  /** A setting (shared/config.ts) that replaces `max` when the deployment sets it. */
  maxSetting?: 'SUPPORT_FORM_PER_HOUR';
}

const signInLimit: ClientLimit = { max: 10, windowSeconds: 600 };
/** The support form: SUPPORT_FORM_PER_HOUR (5 by default) submissions per client an hour. */
const supportFormLimit: ClientLimit = { max: 5, windowSeconds: 3600, maxSetting: 'SUPPORT_FORM_PER_HOUR' };

export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway path syntax: `/pins/{id}`. */
  path: string;
  fn: FunctionId;
  access: Access;
  throttle: keyof typeof throttles;
  clientLimit?: ClientLimit;
}

export const routes: readonly RouteSpec[] = [
  { method: 'GET', path: '/health', fn: 'getHealth', access: 'public', throttle: 'publicRead' },
  { method: 'GET', path: '/privacy', fn: 'getPrivacy', access: 'public', throttle: 'publicRead' },
  { method: 'GET', path: '/audit', fn: 'getAudit', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/oauth/start', fn: 'createOAuthLink', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/oauth/start', fn: 'openOAuthLink', access: 'public', throttle: 'publicWrite', clientLimit: signInLimit },
  { method: 'GET', path: '/oauth/callback', fn: 'oauthCallback', access: 'public', throttle: 'publicWrite', clientLimit: signInLimit },
  { method: 'GET', path: '/account', fn: 'getAccount', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/account/confirm', fn: 'confirmAccount', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/account/disconnect', fn: 'disconnectAccount', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/boards/sync', fn: 'startBoardSync', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/boards/sync/{jobId}', fn: 'getBoardSync', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/boards', fn: 'listBoards', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/boards/{id}/sections', fn: 'getBoardSections', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/boards', fn: 'createBoard', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/pins', fn: 'createPin', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/pins', fn: 'listPins', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/pins/{id}', fn: 'getPin', access: 'operator', throttle: 'operator' },
  { method: 'PATCH', path: '/pins/{id}', fn: 'updatePin', access: 'operator', throttle: 'operator' },
  { method: 'DELETE', path: '/pins/{id}', fn: 'deletePin', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/pins/{id}/media', fn: 'getPinMedia', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/pins/{id}/approve', fn: 'approvePin', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/pins/{id}/reject', fn: 'rejectPin', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/pins/{id}/publish', fn: 'publishPin', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/pins/{id}/check', fn: 'checkPin', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/pins/{id}/copy', fn: 'copyPin', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/pins/{id}/resolve', fn: 'resolvePin', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/support', fn: 'getSupportForm', access: 'public', throttle: 'publicRead' },
  { method: 'POST', path: '/support', fn: 'submitSupportRequest', access: 'public', throttle: 'publicWrite', clientLimit: supportFormLimit },
  { method: 'GET', path: '/support/tickets', fn: 'listTickets', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/support/tickets/{id}', fn: 'getTicket', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/support/tickets/{id}/reply', fn: 'replyTicket', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/support/tickets/{id}/close', fn: 'closeTicket', access: 'operator', throttle: 'operator' },
  { method: 'POST', path: '/privacy/requests', fn: 'handlePrivacyRequest', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/privacy/requests', fn: 'listPrivacyRequests', access: 'operator', throttle: 'operator' },
  { method: 'GET', path: '/privacy/requests/{id}/export', fn: 'getPrivacyExport', access: 'operator', throttle: 'operator' },
];

/** The per-client limit of the route API Gateway matched (`GET /oauth/callback`), if it has one. */
export function clientLimitFor(routeKey: string): ClientLimit | undefined {
  return routes.find((route) => `${route.method} ${route.path}` === routeKey)?.clientLimit;
}

/**
 * The authorizer on every operator route, with API Gateway's semantics copied by the local server:
 * no identity header → 401 without calling it; `isAuthorized: false` → 403. Results are cached per
 * header value, so a rotated credential keeps working until the cache expires: keep it short.
 */
export const operatorAuthorizer = {
  fn: 'authorizeOperator',
  identityHeader: 'authorization',
  cacheTtlSeconds: 30,
} as const satisfies { fn: FunctionId; identityHeader: string; cacheTtlSeconds: number };

export interface ScheduleSpec {
  name: string;
  fn: FunctionId;
  rateMinutes: number;
  description: string;
}

/** Timers (EventBridge in AWS, a local timer in local mode). Later features add entries. */
export const schedules: readonly ScheduleSpec[] = [
  { name: 'refresh-tokens', fn: 'refreshTokens', rateMinutes: 24 * 60, description: 'Refresh Pinterest tokens before they expire; warn the operator' },
  { name: 'resume-board-sync', fn: 'syncBoards', rateMinutes: 15, description: 'Go on with board syncs paused by a rate limit or left by a runner that stopped' },
  { name: 'sweep-publishing', fn: 'sweepPublishing', rateMinutes: 5, description: 'Publish attempts whose lease ended become needs_reconcile and are reconciled; emits StuckPinRecords' },
  { name: 'reconcile', fn: 'reconcilePins', rateMinutes: 15, description: 'Look for the Pins of needs_reconcile records at Pinterest' },
];

/**
 * How long a token-refresh lease holds. Longer than every function that calls Pinterest may run (a
 * test checks), so when a lease has ended its holder has certainly stopped: no refresh can write a
 * secret after another has taken over.
 */
export const tokenLeaseSeconds = 90;

/**
 * How long a publish claim holds: longer than the Pin-creation function may run (a test checks), so
 * when a claim's lease has ended its function has certainly stopped and the sweeper may take over.
 */
export const publishLeaseSeconds = 120;
