import { createAwsClients } from '../../shared/adapters/aws-clients';
import { requireBinding } from '../../shared/config';

/** Real SDK clients pointed at the emulators the global setup started. */
export const clients = createAwsClients();

export const names = {
  state: requireBinding('STATE_TABLE'),
  workflow: requireBinding('WORKFLOW_TABLE'),
  audit: requireBinding('AUDIT_TABLE'),
  bucket: requireBinding('DATA_BUCKET'),
  secretPrefix: requireBinding('SECRET_PREFIX'),
  sesUrl: process.env.AWS_ENDPOINT_URL_SES ?? '',
};

/** A key prefix unique to one test, so tests sharing the emulators never see each other's data. */
export function uniquePrefix(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
