import { complianceRecordSchema, type ComplianceRecord } from '../../domain/privacy';
import type { DynamoTable, Page } from './table';

/**
 * Compliance records of privacy requests in the audit table: `PRIVACY` / `REQUEST#<id>`, one item each,
 * listed newest first (ids begin with their time), kept `retentionDays` (RETENTION_COMPLIANCE_DAYS, TTL).
 * Every change is one conditional write on the record's version.
 */

export const PRIVACY_PARTITION = 'PRIVACY';
const key = (id: string) => ({ pk: PRIVACY_PARTITION, sk: `REQUEST#${id}` });

export class ComplianceRecords {
  constructor(
    private readonly table: DynamoTable,
    private readonly retentionDays: number,
  ) {}

  async create(record: ComplianceRecord): Promise<void> {
    await this.table.create({ ...key(record.id), ...record, expiresAt: this.table.ttlIn(this.retentionDays * 86_400) });
  }

  async get(id: string): Promise<ComplianceRecord | undefined> {
    return this.table.get(key(id), complianceRecordSchema);
  }

  async update(record: ComplianceRecord, changes: Partial<Omit<ComplianceRecord, 'id' | 'version'>>): Promise<ComplianceRecord> {
    return this.table.transition(key(record.id), { version: record.version }, changes, complianceRecordSchema);
  }

  async list(options: { limit: number; cursor?: string }): Promise<Page<ComplianceRecord>> {
    return this.table.query(
      {
        partition: { name: 'pk', value: PRIVACY_PARTITION },
        sortBetween: { name: 'sk', from: 'REQUEST#', to: 'REQUEST#\uffff' },
        limit: options.limit,
        newestFirst: true,
        ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      },
      complianceRecordSchema,
    );
  }

  /**
   * Every record about any of `hashes`, oldest first; live ones only, unless `includeExpired` (a
   * deletion must also find the exports of records past their retention).
   */
  async about(hashes: readonly string[], options: { includeExpired?: boolean } = {}): Promise<ComplianceRecord[]> {
    const all = await this.table.queryAll(
      {
        partition: { name: 'pk', value: PRIVACY_PARTITION },
        sortBetween: { name: 'sk', from: 'REQUEST#', to: 'REQUEST#\uffff' },
        newestFirst: false,
        limit: 200,
        includeExpired: options.includeExpired === true,
      },
      complianceRecordSchema,
    );
    return all.filter((record) => record.subject.hashes.some((hash) => hashes.includes(hash)));
  }
}
