import type { SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { SesMailer, MARKER_HEADER } from '../../shared/adapters/ses-mailer';
import { parseMail } from '../../shared/adapters/mime-parser';
import { ConflictError } from '../../shared/domain/errors';
import { isOurMailMarker } from '../../shared/domain/keyed-hash';
import { ticketSchema, type Ticket } from '../../shared/domain/tickets';
import type { Clock } from '../../shared/domain/time';
import type { InboundDeps, TicketsPort } from '../../shared/use-cases/inbound-mail';
import { FakeClock } from './fake-clock';
import { io } from './memory-stores';

/**
 * Every port of InboundDeps (shared/use-cases/inbound-mail.ts) in memory, with the rules of the real
 * adapters: tickets are created only when absent and updated only at the version that was read (a
 * ConflictError otherwise), the raw store moves by copy-then-delete, acknowledgements are counted per
 * address per UTC day. `memoryInboundDeps()` wires them; what it returns beside `deps` is how a test
 * sets the scene and reads back what was stored, moved, sent and told.
 */

/** The hashing key our mail markers are made with in these tests. */
export const MARKER_KEY = Buffer.alloc(32, 7);
export const SENDER = 'info@ecooffice.net';

type Failure<T> = { where: (value: T) => boolean; error: Error } | undefined;

/** Tickets by reference, and the index of the Message-IDs we sent (which ticket each belongs to). */
export class MemoryTickets implements TicketsPort {
  readonly tickets = new Map<string, Ticket>();
  readonly sentIndex = new Map<string, string>();
  /** Every write that reached the store, in order (creates and updates, with what they changed). */
  readonly writes: Array<{ kind: 'create' | 'update'; reference: string; changes?: Partial<Ticket> }> = [];
  private createFailure: Failure<Ticket>;
  private updateFailure: Failure<Partial<Ticket>>;

  constructor(private readonly clock: Clock) {}

  /** The stored ticket (a copy), for assertions. */
  ticket(reference: string): Ticket | undefined {
    const ticket = this.tickets.get(reference);
    return ticket === undefined ? undefined : structuredClone(ticket);
  }

  all(): Ticket[] {
    return [...this.tickets.values()].map((t) => structuredClone(t));
  }

  /** Makes the next create of a matching ticket fail with `error` before writing (a crash there). Once. */
  failCreateOnce(where: (ticket: Ticket) => boolean = () => true, error: Error = new Error('simulated DynamoDB failure')): void {
    this.createFailure = { where, error };
  }

  /** Makes the next update whose changes match `where` fail with `error` before writing. Once. */
  failUpdateOnce(where: (changes: Partial<Ticket>) => boolean, error: Error = new Error('simulated DynamoDB failure')): void {
    this.updateFailure = { where, error };
  }

  get(reference: string): Promise<Ticket | undefined> {
    return io(() => this.ticket(reference));
  }

  create(ticket: Ticket): Promise<void> {
    return io(() => {
      const failure = this.createFailure;
      if (failure?.where(ticket) === true) {
        this.createFailure = undefined;
        throw failure.error;
      }
      if (this.tickets.has(ticket.reference)) throw new ConflictError('The ticket already exists');
      // A ticket the real table's reader would refuse fails the test.
      this.tickets.set(ticket.reference, structuredClone(ticketSchema.parse(ticket)));
      this.writes.push({ kind: 'create', reference: ticket.reference });
    });
  }

  update(ticket: Ticket, changes: Partial<Ticket>): Promise<Ticket> {
    return io(() => {
      const failure = this.updateFailure;
      if (failure?.where(changes) === true) {
        this.updateFailure = undefined;
        throw failure.error;
      }
      const stored = this.tickets.get(ticket.reference);
      if (stored === undefined) throw new ConflictError('The ticket does not exist');
      if (stored.version !== ticket.version) throw new ConflictError('The ticket changed since it was read');
      // undefined removes the attribute, as the real store's REMOVE.
      const entries: Array<[string, unknown]> = Object.entries({ ...stored, ...changes, version: stored.version + 1, updatedAt: this.clock.now().toISOString() });
      const record = ticketSchema.parse(Object.fromEntries(entries.filter(([, value]) => value !== undefined)));
      this.tickets.set(ticket.reference, structuredClone(record));
      this.writes.push({ kind: 'update', reference: ticket.reference, changes: structuredClone(changes) });
      return structuredClone(record);
    });
  }

  ticketOfSent(messageId: string): Promise<string | undefined> {
    return io(() => this.sentIndex.get(messageId));
  }

  rememberSent(messageId: string, reference: string): Promise<void> {
    return io(() => {
      this.sentIndex.set(messageId, reference);
    });
  }
}

/** The data bucket's raw mail: key → bytes. A move is a copy then a delete, as S3 has no rename. */
export class MemoryRawStore {
  readonly objects = new Map<string, Buffer>();
  readonly moves: Array<{ from: string; to: string }> = [];
  readonly reads: string[] = [];

  put(key: string, body: Buffer | string): void {
    this.objects.set(key, Buffer.from(body));
  }

  read(key: string): Promise<Buffer | undefined> {
    return io(() => {
      this.reads.push(key);
      const body = this.objects.get(key);
      return body === undefined ? undefined : Buffer.from(body);
    });
  }

  move(from: string, to: string): Promise<void> {
    return io(() => {
      const body = this.objects.get(from);
      // CopyObject of a missing key is NoSuchKey.
      if (body === undefined) throw new Error(`simulated NoSuchKey: ${from}`);
      this.objects.set(to, Buffer.from(body));
      this.objects.delete(from);
      this.moves.push({ from, to });
    });
  }
}

export type SendMail = InboundDeps['mail']['send'];
export type SentRecord = Parameters<SendMail>[0] & { messageId: string; raw?: Buffer };

/**
 * The outgoing mail port, recording every mail. By default it answers `<n@ecooffice.net>`
 * Message-IDs; over a SesMailer (see `mailerOver`) it answers the real composer's Message-ID and
 * records the raw message as SES would have sent it (with our marker).
 */
export class RecordingMail {
  readonly sent: SentRecord[] = [];
  private failure: Error | undefined;

  constructor(private readonly over?: { mailer: SesMailer; ses: FakeSes }) {}

  /** Makes the next send fail with `error` (SES refused or the call was lost), nothing recorded. */
  failNextSend(error: Error = new Error('simulated SES failure')): void {
    this.failure = error;
  }

  readonly send: SendMail = async (mail) => {
    const failure = this.failure;
    if (failure !== undefined) {
      this.failure = undefined;
      return io(() => {
        throw failure;
      });
    }
    if (this.over !== undefined) {
      const sent = await this.over.mailer.send(mail);
      const raw = this.over.ses.sent.at(-1)?.raw;
      this.sent.push({ ...structuredClone(mail), messageId: sent.messageId, ...(raw === undefined ? {} : { raw }) });
      return { messageId: sent.messageId };
    }
    return io(() => {
      const messageId = `<${String(this.sent.length + 1)}@ecooffice.net>`;
      this.sent.push({ ...structuredClone(mail), messageId });
      return { messageId };
    });
  };

  to(address: string): SentRecord[] {
    return this.sent.filter((mail) => mail.to.includes(address));
  }
}

/** An SES client that takes SendRawEmail and keeps the raw bytes (nothing leaves the process). */
export class FakeSes {
  readonly sent: Array<{ source: string | undefined; destinations: string[]; raw: Buffer }> = [];

  send(command: SendRawEmailCommand): Promise<{ MessageId: string }> {
    return io(() => {
      const data = command.input.RawMessage?.Data;
      if (data === undefined) throw new Error('SendRawEmail without RawMessage.Data');
      this.sent.push({ source: command.input.Source, destinations: [...(command.input.Destinations ?? [])], raw: Buffer.from(data) });
      return { MessageId: `ses-out-${String(this.sent.length)}` };
    });
  }

  asClient(): SESClient {
    return this as unknown as SESClient;
  }
}

/** A real SesMailer over a FakeSes: real raw messages, with markers made with `key`. */
export function mailerOver(clock: Clock, key: Buffer = MARKER_KEY): { mailer: SesMailer; ses: FakeSes } {
  const ses = new FakeSes();
  return { mailer: new SesMailer(ses.asClient(), SENDER, () => Promise.resolve(key), clock), ses };
}

/** Acknowledgements counted per address (lower-cased) per UTC day of the clock; answers the count after this one. */
export class MemoryAckCounter {
  readonly counts = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  readonly count = (address: string): Promise<number> =>
    io(() => {
      const key = `${address.toLowerCase()}#${this.clock.now().toISOString().slice(0, 10)}`;
      const next = (this.counts.get(key) ?? 0) + 1;
      this.counts.set(key, next);
      return next;
    });

  /** How many were counted for `address` on `day` (YYYY-MM-DD, UTC). */
  on(address: string, day: string): number {
    return this.counts.get(`${address.toLowerCase()}#${day}`) ?? 0;
  }
}

/** The operator's notices, recorded. */
export class RecordingOperator {
  readonly notices: Array<{ subject: string; text: string }> = [];
  private failure: Error | undefined;

  failNextNotice(error: Error = new Error('simulated SES failure')): void {
    this.failure = error;
  }

  private ids = 0;

  /** Message-IDs as SesMailer makes them (`<notice-N@ecooffice.net>`). */
  readonly newNoticeId = (): string => `<notice-${String((this.ids += 1))}@ecooffice.net>`;

  /** Records the notice (its subject and text; `messageIds` keeps the Message-IDs in order). */
  readonly messageIds: string[] = [];

  readonly notify = (notice: { subject: string; text: string; messageId: string }): Promise<{ messageId: string }> =>
    io(() => {
      const failure = this.failure;
      if (failure !== undefined) {
        this.failure = undefined;
        throw failure;
      }
      this.notices.push({ subject: notice.subject, text: notice.text });
      this.messageIds.push(notice.messageId);
      return { messageId: notice.messageId };
    });
}

export const inboundSettings: InboundDeps['settings'] = {
  inboundPrefix: 'mail/inbound/',
  quarantinePrefix: 'mail/quarantine/',
  acknowledge: true,
  retentionDays: 365,
  markerHeader: MARKER_HEADER,
};

export interface MemoryInbound {
  deps: InboundDeps;
  clock: FakeClock;
  tickets: MemoryTickets;
  raw: MemoryRawStore;
  mail: RecordingMail;
  acks: MemoryAckCounter;
  operator: RecordingOperator;
  /** The SES client under the mailer, when `realMailer` was asked for. */
  ses: FakeSes | undefined;
}

export function memoryInboundDeps(options: { clock?: FakeClock; settings?: Partial<InboundDeps['settings']>; realMailer?: boolean; markerKey?: Buffer } = {}): MemoryInbound {
  const clock = options.clock ?? new FakeClock('2026-07-01T10:00:00.000Z');
  const key = options.markerKey ?? MARKER_KEY;
  const tickets = new MemoryTickets(clock);
  const raw = new MemoryRawStore();
  const over = options.realMailer === true ? mailerOver(clock, key) : undefined;
  const mail = new RecordingMail(over);
  const acks = new MemoryAckCounter(clock);
  const operator = new RecordingOperator();
  const deps: InboundDeps = {
    clock,
    tickets,
    raw: { read: (k) => raw.read(k), move: (from, to) => raw.move(from, to) },
    parse: parseMail,
    isOurMarker: (messageId, marker) => io(() => isOurMailMarker(key, messageId, marker)),
    countAcknowledgement: acks.count,
    mail: { send: mail.send },
    notifyOperator: operator.notify,
    newNoticeId: operator.newNoticeId,
    settings: { ...inboundSettings, ...options.settings },
  };
  return { deps, clock, tickets, raw, mail, acks, operator, ses: over?.ses };
}

export { sesEvent, type SesEventOptions, type VerdictName } from '../../local/ses-event';
