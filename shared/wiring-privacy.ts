import { randomBytes } from 'node:crypto';
import { s3Client } from './adapters/aws/s3';
import { ComplianceRecords } from './adapters/dynamo/compliance-records';
import { LogPseudonyms } from './adapters/dynamo/log-pseudonyms';
import { SubjectIndex } from './adapters/dynamo/subject-index';
import { ObjectStore } from './adapters/object-store';
import { SubjectRecords } from './adapters/subject-records';
import { TokenVault } from './adapters/token-vault';
import { requireBinding } from './config';
import type { PrivacyDeps } from './use-cases/privacy';
import { appSettings, auditTable, clock, hashingKey, lazy, names, safeSecurityLog, secretStore, stateTable, workflowTable } from './wiring';
import { tickets } from './wiring-tickets';

/** Privacy requests' pieces of the composition root. */

const dataBucket = /* @__PURE__ */ lazy(() => new ObjectStore(s3Client(), requireBinding('DATA_BUCKET')));

export const complianceRecords = /* @__PURE__ */ lazy(() => new ComplianceRecords(auditTable(), appSettings().RETENTION_COMPLIANCE_DAYS));

const exportObjects = {
  put: (key: string, body: Buffer) => dataBucket().put(key, body, 'application/json'),
  get: async (key: string) => (await dataBucket().get(key))?.body,
  delete: (key: string) => dataBucket().delete(key),
};

/** What the two read-only routes need: the compliance records and the export objects. */
export const privacyReadDeps = /* @__PURE__ */ lazy(() => ({ clock, compliance: complianceRecords(), exports: exportObjects }));

export const privacyDeps = /* @__PURE__ */ lazy(
  (): PrivacyDeps => ({
    clock,
    hashingKey: hashingKey(),
    randomHex: () => randomBytes(4).toString('hex'),
    settings: { exportDays: appSettings().RETENTION_EXPORT_DAYS },
    records: new SubjectRecords({
      workflow: workflowTable(),
      state: stateTable(),
      subjects: new SubjectIndex(workflowTable()),
      tickets: tickets(),
      // Its own vault rather than ./wiring-connect's, which would bring the connect wiring along.
      vault: new TokenVault(secretStore(), names().tokens),
      media: dataBucket(),
      mail: dataBucket(),
      hashingKey: hashingKey(),
    }),
    log: new LogPseudonyms(auditTable(), clock, appSettings().RETENTION_SECURITY_LOG_DAYS),
    compliance: complianceRecords(),
    exports: exportObjects,
    securityLog: safeSecurityLog(),
  }),
);
