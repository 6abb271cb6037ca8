import * as z from '../../zod';
import { pseudonym } from '../../domain/privacy';
import { securityEventSchema, type SecurityEvent } from '../../domain/security-event';
import { LOG_PARTITION } from './security-log';
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

export class LogPseudonyms {
  constructor(private readonly table: DynamoTable) {}

  /** Every entry naming one of `identifiers`, oldest first (`includeExpired`: also those past their expiry, to rewrite them). */
  async naming(identifiers: readonly string[], options: { includeExpired?: boolean } = {}): Promise<StoredLogEntry[]> {
    const needles = searchable(identifiers);
    if (needles.length === 0) return [];
    const found: StoredLogEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.table.query(
        { partition: { name: 'pk', value: LOG_PARTITION }, newestFirst: false, limit: 1000, includeExpired: options.includeExpired === true, ...(cursor === undefined ? {} : { cursor }) },
        storedSchema,
      );
      found.push(...page.items.filter((entry) => namedFields(entry, needles).length > 0));
      cursor = page.cursor;
    } while (cursor !== undefined);
    return found;
  }

  /**
   * Replaces every value of `entry` naming one of `identifiers` by its pseudonym, in one conditional
   * UpdateItem (only while the entry is still there). Answers the names of the fields replaced (none
   * when the entry has gone meanwhile).
   */
  async pseudonymise(entry: StoredLogEntry, identifiers: readonly string[], key: Buffer): Promise<string[]> {
    const needles = searchable(identifiers);
    const fields = namedFields(entry, needles);
    if (fields.length === 0) return [];
    const set: Record<string, unknown> = {};
    if (fields.includes('path') && entry.path !== undefined) set.path = pseudonym(key, entry.path);
    if (entry.detail !== undefined && fields.some((field) => field.startsWith('detail.'))) {
      set.detail = Object.fromEntries(Object.entries(entry.detail).map(([name, value]) => [name, fields.includes(`detail.${name}`) ? replaced(value, needles, key) : value]));
    }
    const names = Object.fromEntries(Object.keys(set).map((name, i) => [`#f${String(i)}`, name]));
    const values = Object.fromEntries(Object.values(set).map((value, i) => [`:f${String(i)}`, value]));
    try {
      await this.table.update(
        { pk: entry.pk, sk: entry.sk },
        { update: `SET ${Object.keys(set).map((_, i) => `#f${String(i)} = :f${String(i)}`).join(', ')}`, condition: 'attribute_exists(pk)', names, values },
      );
    } catch (error) {
      // Gone meanwhile (TTL deletes expired entries at any moment): nothing is left to pseudonymise.
      if (error instanceof StaleRecordError) return [];
      throw error;
    }
    return fields;
  }
}

function searchable(identifiers: readonly string[]): string[] {
  return [...new Set(identifiers.map((value) => value.trim().toLowerCase()).filter((value) => value.length >= MIN_IDENTIFIER))];
}

/** Characters an identifier is made of: a match must not continue into more of them on either side. */
const WORD = /[a-z0-9._%+@-]/;

/** Whether `text` contains one of `needles` as a whole (not inside a longer id or address). */
const names = (text: string, needles: readonly string[]) => {
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
  typeof value === 'string' ? names(value, needles) : Array.isArray(value) ? value.some((item) => names(item, needles)) : false;

/** The fields of an entry that name one of `needles`: `path`, `detail.<name>`. */
function namedFields(entry: StoredLogEntry, needles: readonly string[]): string[] {
  return [
    ...(entry.path !== undefined && names(entry.path, needles) ? ['path'] : []),
    ...Object.entries(entry.detail ?? {})
      .filter(([, value]) => valueNames(value, needles))
      .map(([name]) => `detail.${name}`),
  ];
}

function replaced(value: DetailValue, needles: readonly string[], key: Buffer): DetailValue {
  if (typeof value === 'string') return pseudonym(key, value);
  if (Array.isArray(value)) return value.map((item) => (names(item, needles) ? pseudonym(key, item) : item));
  return value;
}
