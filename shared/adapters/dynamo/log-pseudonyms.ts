import * as z from '../../zod';
import { pseudonym } from '../../domain/privacy';
import { securityEventSchema, type SecurityEvent } from '../../domain/security-event';
import { LOG_PARTITION } from './security-log';
import type { Clock } from '../../domain/time';
import { StaleRecordError, type DynamoTable } from './table';

/**
 * The security log as a privacy request sees it: finding the entries that name a subject, and
 * pseudonymising them in place. Kept apart from the log's writer (shared/adapters/dynamo/security-log.ts)
 * because only the privacy-request function may change an entry (its grant is the one `change` on
 * the audit table's log).
 *
 * An entry names a subject when its path or one of its detail values contains one of the subject's
 * identifiers as a whole (case-insensitively; `/pins/<id>/approve` names the Pin, `alice.bob@x` does
 * not name `bob@x`): the Pinterest account id, Pin and board ids, connection
 * ids, ticket references, email addresses. Pseudonymising replaces each such value whole by
 * `pseudonym:<keyed hash of the value>`; everything else in the entry (time, kind, outcome, status,
 * route, request ids, the client's keyed hash, the user agent) stays, so the log still shows what
 * happened and when, and entries about the same thing stay linkable to each other.
 */

const storedSchema = z.extend(securityEventSchema, { pk: z.string(), sk: z.string() });
export type StoredLogEntry = z.infer<typeof storedSchema>;

/** Identifiers shorter than this are not searched for: they could match unrelated text. */
const MIN_IDENTIFIER = 6;

type DetailValue = NonNullable<SecurityEvent['detail']>[string];

/** The log is read in this many time slices at once (a Query reads one partition sequentially). */
const SLICES = 16;
/** Rewrites of one entry raced by another deletion are tried again this many times. */
const ATTEMPTS = 3;

export class LogPseudonyms {
  constructor(
    private readonly table: DynamoTable,
    private readonly clock: Clock,
    /** RETENTION_SECURITY_LOG_DAYS: the span the entries are spread over, for slicing the reads. */
    private readonly retentionDays: number,
  ) {}

  /**
   * Every entry naming one of `identifiers`, oldest first (`includeExpired`: also those past their
   * expiry, to rewrite them). The partition is read in time slices side by side (entries are sorted
   * by time): the retention span cut in SLICES, plus whatever lies before or after it.
   */
  async naming(identifiers: readonly string[], options: { includeExpired?: boolean } = {}): Promise<StoredLogEntry[]> {
    const needles = searchable(identifiers);
    if (needles.length === 0) return [];
    const slices = await Promise.all(this.slices().map(([from, to]) => this.readSlice(from, to, needles, options.includeExpired === true)));
    return slices.flat();
  }

  /** Sort-key ranges covering the whole partition; no key equals a boundary (keys are `<time>#<id>`). */
  private slices(): Array<[string, string]> {
    const end = this.clock.now().getTime() + 86_400_000;
    const start = end - (this.retentionDays + 2) * 86_400_000;
    const bounds = Array.from({ length: SLICES + 1 }, (_, i) => new Date(start + ((end - start) * i) / SLICES).toISOString());
    return [['0', bounds[0] ?? '0'], ...bounds.slice(1).map((to, i): [string, string] => [bounds[i] ?? to, to]), [bounds[SLICES] ?? '0', '\uffff']];
  }

  private async readSlice(from: string, to: string, needles: readonly string[], includeExpired: boolean): Promise<StoredLogEntry[]> {
    const entries = await this.table.queryAll(
      { partition: { name: 'pk', value: LOG_PARTITION }, sortBetween: { name: 'sk', from, to }, newestFirst: false, limit: 1000, includeExpired },
      storedSchema,
    );
    return entries.filter((entry) => namedFields(entry, needles).length > 0);
  }

  /**
   * Replaces every value of `entry` naming one of `identifiers` by its pseudonym, in one UpdateItem
   * conditional on the values read (so two deletions rewriting the same entry never put back what
   * the other replaced: the loser reads the entry again and rewrites what is left). Answers the names
   * of the fields replaced (none when the entry has gone meanwhile: TTL deletes expired entries at any
   * moment, and then nothing is left to pseudonymise).
   */
  async pseudonymise(entry: StoredLogEntry, identifiers: readonly string[], key: Buffer): Promise<string[]> {
    const needles = searchable(identifiers);
    let current: StoredLogEntry | undefined = entry;
    for (let attempt = 1; current !== undefined; attempt += 1) {
      const fields = namedFields(current, needles);
      if (fields.length === 0) return [];
      // Each value naming the subject is set on its own (`detail.accountId`, `detail.scopes[2]`, `path`),
      // conditional on the string it held: other values, and other writers' changes, are left alone.
      const names: Record<string, string> = {};
      const values: Record<string, string> = {};
      const assignments: string[] = [];
      const conditions = ['attribute_exists(pk)'];
      const replace = (attribute: string, old: string) => {
        const i = String(assignments.length);
        values[`:n${i}`] = pseudonym(key, old);
        values[`:o${i}`] = old;
        assignments.push(`${attribute} = :n${i}`);
        conditions.push(`${attribute} = :o${i}`);
      };
      if (fields.includes('path') && current.path !== undefined) {
        names['#path'] = 'path';
        replace('#path', current.path);
      }
      for (const [field, value] of Object.entries(current.detail ?? {})) {
        if (!fields.includes(`detail.${field}`)) continue;
        names['#detail'] = 'detail';
        const name = `#d${String(Object.keys(names).length)}`;
        names[name] = field;
        if (typeof value === 'string') replace(`#detail.${name}`, value);
        else if (Array.isArray(value)) {
          for (const [index, item] of value.entries()) if (namesOne(item, needles)) replace(`#detail.${name}[${String(index)}]`, item);
        }
      }
      try {
        await this.table.update({ pk: current.pk, sk: current.sk }, { update: `SET ${assignments.join(', ')}`, condition: conditions.join(' AND '), names, values });
        return fields;
      } catch (error) {
        if (!(error instanceof StaleRecordError) || attempt >= ATTEMPTS) throw error;
      }
      current = await this.reread(current);
    }
    return [];
  }

  /** The entry as stored now, past its expiry or not; undefined once it is gone. */
  private async reread(entry: StoredLogEntry): Promise<StoredLogEntry | undefined> {
    const page = await this.table.query({ partition: { name: 'pk', value: LOG_PARTITION }, sortBetween: { name: 'sk', from: entry.sk, to: entry.sk }, limit: 1, includeExpired: true }, storedSchema);
    return page.items[0];
  }
}

function searchable(identifiers: readonly string[]): string[] {
  return [...new Set(identifiers.map((value) => value.trim().toLowerCase()).filter((value) => value.length >= MIN_IDENTIFIER))];
}

/** Characters an identifier is made of: a match must not continue into more of them on either side. */
const WORD = /[a-z0-9._%+@-]/;

/** Whether `text` contains one of `needles` as a whole (not inside a longer id or address). */
export const namesOne = (text: string, needles: readonly string[]): boolean => {
  const lower = text.toLowerCase();
  return needles.some((needle) => {
    for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + 1)) {
      const before = at === 0 ? '' : (lower[at - 1] ?? '');
      const after = lower[at + needle.length] ?? '';
      if (!WORD.test(before) && !WORD.test(after)) return true;
    }
    return false;
  });
};

const valueNames = (value: DetailValue, needles: readonly string[]) =>
  typeof value === 'string' ? namesOne(value, needles) : Array.isArray(value) ? value.some((item) => namesOne(item, needles)) : false;

/** The fields of an entry that name one of `needles` (lower-cased identifiers): `path`, `detail.<name>`. */
export function namedFields(entry: StoredLogEntry, needles: readonly string[]): string[] {
  return [
    ...(entry.path !== undefined && namesOne(entry.path, needles) ? ['path'] : []),
    ...Object.entries(entry.detail ?? {})
      .filter(([, value]) => valueNames(value, needles))
      .map(([name]) => `detail.${name}`),
  ];
}
