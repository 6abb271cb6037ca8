import type { BindingName } from './config';

/**
 * The three DynamoDB tables, defined once for the CDK stack and the local boot. Every GSI the product
 * will need is declared here from the first version: CloudFormation adds only one GSI per table update,
 * so later features must fit these indexes. All key attributes are strings; TTL is epoch seconds.
 */

export type TableName = 'state' | 'workflow' | 'audit';

export interface IndexDefinition {
  /** Index name, used by queries. */
  name: string;
  partitionKey: string;
  sortKey: string;
  /** What the index is for, kept next to the definition. */
  purpose: string;
}

export interface TableDefinition {
  name: TableName;
  /** Environment variable that carries the physical table name into a function. */
  envVar: BindingName;
  partitionKey: 'pk';
  sortKey: 'sk';
  ttlAttribute: 'expiresAt';
  indexes: readonly IndexDefinition[];
  purpose: string;
}

export const TTL_ATTRIBUTE = 'expiresAt';

export const tables: Record<TableName, TableDefinition> = {
  state: {
    name: 'state',
    envVar: 'STATE_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: TTL_ATTRIBUTE,
    purpose: 'OAuth tickets and states, rate-limit and pacing counters, board-sync jobs (short-lived)',
    indexes: [],
  },
  workflow: {
    name: 'workflow',
    envVar: 'WORKFLOW_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: TTL_ATTRIBUTE,
    purpose:
      'accounts and token metadata, boards and sections, Pin records and attempts, support tickets, privacy requests',
    indexes: [
      {
        name: 'byStatus',
        partitionKey: 'statusKey',
        sortKey: 'statusTime',
        purpose: 'list records of one kind and status per environment, newest first (e.g. PIN#sandbox#approved)',
      },
      {
        name: 'bySubject',
        partitionKey: 'subjectKey',
        sortKey: 'subjectTime',
        purpose: 'find every record about one data subject (account id or email HMAC) for privacy requests',
      },
    ],
  },
  audit: {
    name: 'audit',
    envVar: 'AUDIT_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: TTL_ATTRIBUTE,
    purpose: 'security log, OAuth response metadata, compliance records (append-only)',
    indexes: [
      {
        name: 'byKind',
        partitionKey: 'kindKey',
        sortKey: 'kindTime',
        purpose: 'security-log entries of one kind in a time range, newest first',
      },
      {
        name: 'bySubject',
        partitionKey: 'subjectKey',
        sortKey: 'subjectTime',
        purpose: 'log entries about one data subject, for export and pseudonymisation',
      },
    ],
  },
};

export const tableList: readonly TableDefinition[] = Object.values(tables);

/** Every key attribute of a table (base keys and index keys); all are strings. */
export function keyAttributes(table: TableDefinition): string[] {
  return [
    table.partitionKey,
    table.sortKey,
    ...table.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ].filter((name, i, all) => all.indexOf(name) === i);
}
