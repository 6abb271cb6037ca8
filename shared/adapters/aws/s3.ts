import { S3Client } from '@aws-sdk/client-s3';

type Env = Record<string, string | undefined>;

/** A custom S3 endpoint (an emulator) has no per-bucket DNS names: address buckets by path. */
export function createS3(env: Env = process.env): S3Client {
  return new S3Client({ forcePathStyle: env.AWS_ENDPOINT_URL_S3 !== undefined });
}

let shared: S3Client | undefined;

export function s3Client(): S3Client {
  shared ??= createS3();
  return shared;
}
