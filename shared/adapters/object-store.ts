import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  DeleteObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * Object storage on S3 for image bytes and raw mail: put, get and delete by key, list and delete by
 * prefix (an account's images, quarantined mail). Keys are chosen by callers (e.g. by SHA-256).
 */
export class ObjectStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer, contentType: string, metadata: Record<string, string> = {}): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata }),
    );
  }

  /** The object's bytes and content type, or undefined when there is no such key. */
  async get(key: string): Promise<{ body: Buffer; contentType: string | undefined } | undefined> {
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (result.Body === undefined) return { body: Buffer.alloc(0), contentType: result.ContentType };
      return { body: Buffer.from(await result.Body.transformToByteArray()), contentType: result.ContentType };
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /**
   * Moves an object to another key: copied (read, then written) before the original is deleted, so
   * a crash in between leaves two copies, never none. Nothing to move is not an error (a repeated move).
   */
  async move(from: string, to: string, contentType: string): Promise<boolean> {
    const object = await this.get(from);
    if (object === undefined) return false;
    await this.put(to, object.body, object.contentType ?? contentType);
    await this.delete(from);
    return true;
  }

  /** Every key under `prefix`, following continuation tokens. */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  }

  /** Deletes every object under `prefix` (batches of 1000); returns how many were deleted. */
  async deletePrefix(prefix: string): Promise<number> {
    if (prefix === '') throw new Error('Refusing to delete the whole bucket');
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
    return keys.length;
  }
}
