import { SESClient } from '@aws-sdk/client-ses';

let shared: SESClient | undefined;

export function sesClient(): SESClient {
  shared ??= new SESClient({});
  return shared;
}
