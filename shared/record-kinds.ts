import type { SettingName } from './config';
import type { SecretScope } from './routes';
import type { TableName } from './tables';

/**
 * Every kind of record the product keeps, where, and for how long: the single list the README's data
 * table is checked against (test/docs/record-kinds.test.ts), and that privacy requests work through.
 * A store that writes a new key prefix, bucket prefix or secret group without an entry here fails that
 * test, as does an entry the README does not list with its retention.
 */

export type Location =
  | { table: TableName; partition: string }
  | { bucket: string }
  | { secrets: SecretScope }
  | { mailTo: 'requester' | 'operator' | 'support' };

/** How long: a retention setting (shared/config.ts), or a rule in words (no timer). */
export type Retention = { setting: SettingName } | { rule: string };

export interface RecordKind {
  /** The README's name for it (the first cell of its row). */
  name: string;
  location: Location;
  retention: Retention;
}

export const recordKinds: readonly RecordKind[] = [
  { name: 'OAuth start-link tickets', location: { table: 'state', partition: 'OAUTH_TICKET#' }, retention: { rule: '5 minutes, single use' } },
  { name: 'OAuth states and browser nonces', location: { table: 'state', partition: 'OAUTH_STATE#' }, retention: { setting: 'RETENTION_OAUTH_STATE_MINUTES' } },
  { name: 'Per-client request counters', location: { table: 'state', partition: 'RATE#' }, retention: { setting: 'RETENTION_RATE_LIMIT_HOURS' } },
  { name: 'Pin-write pacing counters', location: { table: 'state', partition: 'PACING#' }, retention: { rule: '2 days' } },
  { name: 'Board-sync jobs', location: { table: 'state', partition: 'BOARD_SYNC#' }, retention: { rule: 'a week' } },
  { name: 'Acknowledgement counters', location: { table: 'state', partition: 'ACK#' }, retention: { rule: 'until an hour after their UTC day' } },
  {
    name: 'Connected accounts and token metadata',
    location: { table: 'workflow', partition: 'ACCOUNT#' },
    retention: { setting: 'RETENTION_DISCONNECTED_ACCOUNT_DAYS' },
  },
  { name: 'Board snapshots and sections', location: { table: 'workflow', partition: 'BOARDS#' }, retention: { rule: 'replaced on sync; removed on disconnect' } },
  { name: 'Pin records', location: { table: 'workflow', partition: 'PIN#' }, retention: { rule: "no timer: the operator's history until deleted" } },
  { name: 'Pinterest Pin holders', location: { table: 'workflow', partition: 'PINTEREST_PIN#' }, retention: { rule: 'as the Pin record' } },
  { name: 'Image references', location: { table: 'workflow', partition: 'MEDIA#' }, retention: { rule: 'while a Pin record holds the image' } },
  { name: 'Support tickets', location: { table: 'workflow', partition: 'TICKET#' }, retention: { setting: 'RETENTION_SUPPORT_DAYS' } },
  { name: 'Sent-mail index', location: { table: 'workflow', partition: 'SENT_MAIL#' }, retention: { setting: 'RETENTION_SUPPORT_DAYS' } },
  { name: 'Security log and OAuth response metadata', location: { table: 'audit', partition: 'LOG' }, retention: { setting: 'RETENTION_SECURITY_LOG_DAYS' } },
  { name: 'Compliance records of privacy requests', location: { table: 'audit', partition: 'PRIVACY' }, retention: { setting: 'RETENTION_COMPLIANCE_DAYS' } },
  { name: 'Image bytes', location: { bucket: 'media/' }, retention: { rule: 'until the last record holding them is deleted' } },
  { name: 'Raw support mail', location: { bucket: 'mail/inbound/' }, retention: { setting: 'RETENTION_SUPPORT_DAYS' } },
  { name: 'Quarantined mail', location: { bucket: 'mail/quarantine/' }, retention: { setting: 'RETENTION_QUARANTINE_DAYS' } },
  { name: 'Privacy exports', location: { bucket: 'exports/' }, retention: { setting: 'RETENTION_EXPORT_DAYS' } },
  { name: 'Pinterest tokens', location: { secrets: 'tokens' }, retention: { rule: 'until reconnect, disconnect or revocation' } },
  { name: 'Pinterest app credentials', location: { secrets: 'app' }, retention: { rule: 'until replaced by the operator' } },
  { name: 'Operator credential hash', location: { secrets: 'operator' }, retention: { rule: 'until rotated' } },
  { name: 'Hashing key', location: { secrets: 'keys' }, retention: { rule: 'for the life of the deployment' } },
  { name: 'Mail to requesters', location: { mailTo: 'requester' }, retention: { rule: "the recipients' mailboxes" } },
  { name: 'Mail to the operator', location: { mailTo: 'operator' }, retention: { rule: "the operator's mailbox" } },
  { name: 'Form requests forwarded to support', location: { mailTo: 'support' }, retention: { rule: 'the support mailbox' } },
];

/** The settings a retention can name: every `RETENTION_*` setting must be used by some record kind. */
export const retentionSettingPrefix = 'RETENTION_';
