import * as z from '../zod';
import { accountRecordSchema, type AccountRecord } from '../domain/account';
import { boardRecordSchema, sectionsRecordSchema, snapshotSchema, syncJobSchema, type BoardRecord, type SectionsRecord, type Snapshot } from '../domain/boards';
import { ConflictError } from '../domain/errors';
import { keyedHash } from '../domain/keyed-hash';
import { mediaPrefix, pinRecordSchema, type PinRecord } from '../domain/pins';
import { environments, type PinterestEnvironment } from '../domain/pinterest';
import { normalEmail } from '../domain/mail-rules';
import type { Ticket } from '../domain/tickets';
import { boardsPartition } from './dynamo/environment-records';
import type { StoredItem, SubjectIndex } from './dynamo/subject-index';
import { StaleRecordError, type DynamoTable } from './dynamo/table';
import type { TicketStore } from './dynamo/ticket-store';
import type { ObjectStore } from './object-store';
import type { TokenVault } from './token-vault';

/**
 * Everything stored about one privacy subject, found and erased store by store: a Pinterest account
 * (its connection per environment and token metadata, its pinned id, its Pin records with their image
 * references, Pinterest Pin holders and image bytes, the synced boards of the environments it is
 * connected in, the reference to its last Pin in an environment's pacing counter) and an email address (the tickets naming it, their raw mail, the acknowledgement
 * counters under its keyed hash). Reads for an export leave out what has expired, as every read path
 * does; reads for an erasure include it (DynamoDB deletes expired items up to a few days late).
 */

export interface AccountHoldings {
  accounts: AccountRecord[];
  pinned: Array<{ environment: PinterestEnvironment; accountId: string; pinnedAt: string }>;
  pins: PinRecord[];
  boards: Array<{ environment: PinterestEnvironment; boards: BoardRecord[]; sections: SectionsRecord[]; snapshot?: Snapshot }>;
  /** Image bytes under the account's prefix in each environment. */
  media: string[];
  /** Board syncs of the account's environments still running or paused (they would write boards back). */
  syncs: Array<{ environment: PinterestEnvironment; jobId: string; status: string }>;
}

export interface EmailHoldings {
  tickets: Ticket[];
  /** Raw mail of those tickets (received, quarantined, returned). */
  rawMail: string[];
  /** Acknowledgement counters: UTC day and count. */
  acknowledgements: Array<{ day: string; count: number }>;
}

const pinnedSchema = z.object({ accountId: z.string(), pinnedAt: z.string() });
const ackSchema = z.looseObject({ pk: z.string(), sk: z.string(), count: z.number() });
const keySchema = z.looseObject({ pk: z.string(), sk: z.string() });

export class SubjectRecords {
  constructor(
    private readonly deps: {
      workflow: DynamoTable;
      state: DynamoTable;
      subjects: SubjectIndex;
      tickets: TicketStore;
      vault: TokenVault;
      media: ObjectStore;
      mail: ObjectStore;
      hashingKey: () => Promise<Buffer>;
    },
  ) {}

  async ofAccount(accountId: string, environment: PinterestEnvironment | undefined, options: { includeExpired?: boolean } = {}): Promise<AccountHoldings> {
    const inScope = (env: PinterestEnvironment) => environment === undefined || env === environment;
    const items = await this.deps.subjects.ofAccount(accountId, options);
    const accounts = items.filter((item) => item.pk.startsWith('ACCOUNT#') && item.sk === 'CURRENT').map((item) => accountRecordSchema.parse(item)).filter((account) => inScope(account.environment));
    const pins = items.filter((item) => item.pk.startsWith('PIN#') && item.sk === 'PIN').map((item) => pinRecordSchema.parse(item)).filter((pin) => inScope(pin.environment));
    const envs = environments.filter(inScope);
    const pinned: AccountHoldings['pinned'] = [];
    const boards: AccountHoldings['boards'] = [];
    const media: string[] = [];
    const syncs: AccountHoldings['syncs'] = [];
    for (const env of envs) {
      const pin = await this.deps.workflow.get({ pk: `ACCOUNT#${env}`, sk: 'PINNED' }, pinnedSchema);
      if (pin?.accountId === accountId) pinned.push({ environment: env, ...pin });
      // The environment's boards are the connected account's: the subject's only while it is the one connected.
      if (accounts.some((account) => account.environment === env)) {
        boards.push({ environment: env, ...(await this.boardsOf(env, options)) });
        const job = await this.currentSync(env);
        if (job !== undefined && (job.status === 'running' || job.status === 'paused')) syncs.push({ environment: env, jobId: job.jobId, status: job.status });
      }
      media.push(...(await this.deps.media.list(mediaPrefix(env, accountId))));
    }
    return { accounts, pinned, pins, boards, media, syncs };
  }

  private async currentSync(env: PinterestEnvironment) {
    const pointer = await this.deps.state.get({ pk: `BOARD_SYNC#${env}`, sk: 'CURRENT' }, z.looseObject({ jobId: z.string() }));
    return pointer === undefined ? undefined : this.deps.state.get({ pk: `BOARD_SYNC#${env}`, sk: `JOB#${pointer.jobId}` }, syncJobSchema);
  }

  private async boardsOf(env: PinterestEnvironment, options: { includeExpired?: boolean }) {
    const all = await this.partition(this.deps.workflow, boardsPartition(env), options);
    const snapshot = all.find((item) => item.sk === 'SNAPSHOT');
    return {
      boards: all.filter((item) => item.sk.startsWith('BOARD#')).map((item) => boardRecordSchema.parse(item)),
      sections: all.filter((item) => item.sk.startsWith('SECTIONS#')).map((item) => sectionsRecordSchema.parse(item)),
      ...(snapshot === undefined ? {} : { snapshot: snapshotSchema.parse(snapshot) }),
    };
  }

  private async partition(table: DynamoTable, pk: string, options: { includeExpired?: boolean }): Promise<StoredItem[]> {
    return table.queryAll({ partition: { name: 'pk', value: pk }, newestFirst: false, limit: 200, includeExpired: options.includeExpired === true }, keySchema);
  }

  /**
   * Erases an account's connection: token secrets first (nothing can act for the account any more),
   * the pacing counters' reference to its last Pin, the boards, the connection and the pinned id. Its
   * Pin records come last (`erasePins`), so a request cut short before them still knows, sent again,
   * which Pins stay on Pinterest. Every step is idempotent.
   */
  async eraseAccount(accountId: string, holdings: AccountHoldings, orphanSecrets: readonly string[] = []): Promise<Record<string, number>> {
    const counts = { tokenSecrets: 0, pacingReferences: 0, boardRecords: 0, accountRecords: 0 };
    // The connections' secrets, and any an earlier connection left behind (named by the security log
    // when its deletion failed); a secret already gone counts as deleted.
    for (const name of new Set([...holdings.accounts.map((account) => account.secretName), ...orphanSecrets])) {
      await this.deps.vault.delete(name);
      counts.tokenSecrets += 1;
    }
    // The pacing counter of an environment remembers which record took the last Pin-write slot.
    const pinIds = new Set(holdings.pins.map((pin) => pin.pinId));
    for (const env of environments) {
      for (const item of await this.partition(this.deps.state, `PACING#${env}`, { includeExpired: true })) {
        const last = item.lastPinId;
        if (typeof last !== 'string' || !pinIds.has(last)) continue;
        await this.deps.state
          .update({ pk: item.pk, sk: item.sk }, { update: 'REMOVE #pin', condition: '#pin = :pin', names: { '#pin': 'lastPinId' }, values: { ':pin': last } })
          .catch((error: unknown) => {
            // Taken by another record's write meanwhile: it no longer names this one.
            if (!(error instanceof StaleRecordError)) throw error;
          });
        counts.pacingReferences += 1;
      }
    }
    for (const { environment } of holdings.boards) {
      for (const item of await this.partition(this.deps.workflow, boardsPartition(environment), { includeExpired: true })) {
        if (await this.deps.workflow.deleteIf({ pk: item.pk, sk: item.sk }, { condition: 'attribute_exists(pk)' })) counts.boardRecords += 1;
      }
    }
    for (const account of holdings.accounts) {
      const removed = await this.deps.workflow.deleteIf({ pk: `ACCOUNT#${account.environment}`, sk: 'CURRENT' }, { condition: 'accountId = :id', values: { ':id': accountId } });
      if (removed) counts.accountRecords += 1;
    }
    for (const pin of holdings.pinned) {
      if (await this.deps.workflow.deleteIf({ pk: `ACCOUNT#${pin.environment}`, sk: 'PINNED' }, { condition: 'accountId = :id', values: { ':id': accountId } })) counts.accountRecords += 1;
    }
    return counts;
  }

  /**
   * Erases the account's Pin records with their Pinterest Pin holders and image references, then the
   * image bytes under the account's prefix (and nothing else). A record is deleted only while it is not
   * being published (a conditional delete): one that started meanwhile is a ConflictError, the rest
   * left for a retry.
   */
  async erasePins(accountId: string, holdings: AccountHoldings): Promise<Record<string, number>> {
    const counts = { pinRecords: 0, pinterestPinHolders: 0, imageReferences: 0, imageObjects: 0 };
    for (const pin of holdings.pins) {
      const deleted = await this.deps.workflow.deleteIf(
        { pk: `PIN#${pin.pinId}`, sk: 'PIN' },
        { condition: 'attribute_exists(pk) AND NOT (#status IN (:publishing, :reconcile))', names: { '#status': 'status' }, values: { ':publishing': 'publishing', ':reconcile': 'needs_reconcile' } },
      );
      if (deleted) counts.pinRecords += 1;
      else if ((await this.deps.workflow.get({ pk: `PIN#${pin.pinId}`, sk: 'PIN' }, keySchema)) !== undefined) {
        throw new ConflictError(
          `Pin ${pin.pinId} of this account started publishing while it was being erased: the security log, tokens, boards and connection are already erased. Wait until the Pin has settled, then send the request again to finish.`,
          'publishing',
        );
      }
      if (pin.published !== undefined && (await this.deps.workflow.deleteIf({ pk: `PINTEREST_PIN#${pin.environment}#${pin.published.pinterestPinId}`, sk: 'HOLDER' }, { condition: 'pinId = :pin', values: { ':pin': pin.pinId } }))) {
        counts.pinterestPinHolders += 1;
      }
      if (pin.content.media.kind === 'stored' && (await this.deps.workflow.deleteIf({ pk: `MEDIA#${pin.environment}#${pin.accountId}#${pin.content.media.sha256}`, sk: 'MEDIA' }, { condition: 'attribute_exists(pk)' }))) {
        counts.imageReferences += 1;
      }
    }
    for (const env of environments) {
      if (holdings.accounts.some((account) => account.environment === env) || holdings.pins.some((pin) => pin.environment === env) || holdings.media.some((key) => key.startsWith(mediaPrefix(env, accountId)))) {
        counts.imageObjects += await this.deps.media.deletePrefix(mediaPrefix(env, accountId));
      }
    }
    return counts;
  }

  async ofEmail(address: string, options: { includeExpired?: boolean } = {}): Promise<EmailHoldings> {
    const tickets = await this.deps.tickets.naming(address, options);
    const rawMail = [...new Set(tickets.flatMap((ticket) => [...(ticket.s3Key === undefined ? [] : [ticket.s3Key]), ...(ticket.returned ?? []).map((entry) => entry.s3Key)]))];
    const counters = await this.partition(this.deps.state, await this.ackPartition(address), options);
    return { tickets, rawMail, acknowledgements: counters.map((item) => ackSchema.parse(item)).map((item) => ({ day: item.sk, count: item.count })) };
  }

  private async ackPartition(address: string): Promise<string> {
    return `ACK#${keyedHash(await this.deps.hashingKey(), 'mail-recipient', normalEmail(address))}`;
  }

  /** Erases the tickets naming the address, their raw mail and sent-mail index entries, and its counters. */
  async eraseEmail(address: string, holdings: EmailHoldings): Promise<Record<string, number>> {
    const counts = { tickets: 0, rawMailObjects: 0, sentMailEntries: 0, acknowledgementCounters: 0 };
    for (const key of holdings.rawMail) {
      // Listed rather than read: a raw message may be large, and only whether it is there counts.
      if ((await this.deps.mail.list(key)).includes(key)) counts.rawMailObjects += 1;
      await this.deps.mail.delete(key);
    }
    for (const ticket of holdings.tickets) {
      const sent = [ticket.acknowledgement.messageId, ticket.forwarded?.messageId, ticket.operatorNoticeId, ...ticket.replies.map((reply) => reply.messageId)];
      for (const messageId of sent) if (messageId !== undefined && (await this.deps.tickets.forgetSent(messageId))) counts.sentMailEntries += 1;
      if (await this.deps.tickets.erase(ticket.reference)) counts.tickets += 1;
    }
    for (const item of await this.partition(this.deps.state, await this.ackPartition(address), { includeExpired: true })) {
      if (await this.deps.state.deleteIf({ pk: item.pk, sk: item.sk }, { condition: 'attribute_exists(pk)' })) counts.acknowledgementCounters += 1;
    }
    return counts;
  }
}
