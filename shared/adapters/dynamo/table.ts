import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import * as z from '../../zod';
import { ConflictError, ValidationError } from '../../domain/errors';
import { epochSeconds, type Clock } from '../../domain/time';
import { TTL_ATTRIBUTE, tableList } from '../../tables';

/**
 * The DynamoDB base every store builds on. Its rules:
 * - expiry is checked on every read (TTL deletes late, and dynalite never does);
 * - TTL values are whole epoch seconds in `expiresAt`;
 * - every state change is one conditional write on `status` and `version`, which it increments;
 * - single-use items are consumed by one conditional delete, so exactly one caller wins.
 * Records read back are validated with the caller's zod schema.
 */

export interface Key {
  pk: string;
  sk: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; absent on the last page. */
  cursor?: string;
}

/** Thrown when a conditional write loses: the record is not in the expected state or version. */
export class StaleRecordError extends ConflictError {}

const cursorSchema = z.record(z.string(), z.string());

export class DynamoTable {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  /** `expiresAt` for an item that should live `seconds` from now. */
  ttlIn(seconds: number): number {
    return epochSeconds(this.clock.now()) + Math.ceil(seconds);
  }

  private isExpired(item: Record<string, unknown>): boolean {
    const expiresAt = item[TTL_ATTRIBUTE];
    return typeof expiresAt === 'number' && expiresAt <= epochSeconds(this.clock.now());
  }

  /** Reads one item (strongly consistent); an expired item reads as absent. */
  async get<S extends z.core.$ZodType>(key: Key, schema: S): Promise<z.output<S> | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    if (Item === undefined || this.isExpired(Item)) return undefined;
    return z.parse(schema, Item);
  }

  /** Writes a new item; fails with StaleRecordError when one with the same key exists (and is live). */
  async create(item: Key & Record<string, unknown>): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          // An expired leftover that TTL has not deleted yet may be overwritten.
          ConditionExpression: 'attribute_not_exists(pk) OR (attribute_exists(#ttl) AND #ttl <= :now)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': epochSeconds(this.clock.now()) },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleRecordError('The record already exists');
      throw error;
    }
  }

  /** A cursor that continues a listing of the base table right after `key` (as `query` hands out). */
  cursorAfter(key: Key): string {
    return encodeCursor({ pk: key.pk, sk: key.sk });
  }

  /**
   * Writes derived, replaceable items (a board snapshot) in BatchWriteItem calls of 25, the API's
   * limit; items DynamoDB leaves unprocessed are sent again with a growing pause, a few times. Not a
   * state change: nothing here is conditional, so it is only for data rebuilt from a source of truth.
   * Answers the number of BatchWriteItem calls.
   */
  async batchPut(items: ReadonlyArray<Key & Record<string, unknown>>, pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms))): Promise<number> {
    let calls = 0;
    for (let start = 0; start < items.length; start += 25) {
      let pending = items.slice(start, start + 25).map((item) => ({ PutRequest: { Item: item } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0) {
          if (attempt > 6) throw new Error(`DynamoDB left ${String(pending.length)} items unprocessed after ${String(attempt)} attempts`);
          await pause(50 * 2 ** (attempt - 1));
        }
        calls += 1;
        const { UnprocessedItems } = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = (UnprocessedItems?.[this.tableName] ?? []).flatMap((request) =>
          request.PutRequest?.Item === undefined ? [] : [{ PutRequest: { Item: request.PutRequest.Item as Key & Record<string, unknown> } }],
        );
      }
    }
    return calls;
  }

  /**
   * Moves a record from one of `from` states at `version` to new attributes in one conditional write,
   * incrementing `version`. Returns the record as written. Losing the race throws StaleRecordError
   * carrying the state the record is in now.
   */
  async transition<S extends z.core.$ZodType>(
    key: Key,
    expect: { version: number; status?: readonly string[]; attributes?: Record<string, string | number> },
    set: Record<string, unknown>,
    schema: S,
  ): Promise<z.output<S>> {
    const names: Record<string, string> = { '#version': 'version', '#ttl': TTL_ATTRIBUTE };
    const values: Record<string, unknown> = { ':version': expect.version, ':next': expect.version + 1 };
    values[':now'] = epochSeconds(this.clock.now());
    const conditions = ['#version = :version', '(attribute_not_exists(#ttl) OR #ttl > :now)'];
    if (expect.status !== undefined) {
      names['#status'] = 'status';
      const placeholders = expect.status.map((status, i) => {
        values[`:status${i}`] = status;
        return `:status${i}`;
      });
      conditions.push(`#status IN (${placeholders.join(', ')})`);
    }
    for (const [i, [name, value]] of Object.entries(expect.attributes ?? {}).entries()) {
      names[`#c${i}`] = name;
      values[`:c${i}`] = value;
      conditions.push(`#c${i} = :c${i}`);
    }
    const assignments = ['#version = :next'];
    const removals: string[] = [];
    for (const [i, [name, value]] of Object.entries(set).entries()) {
      if (name === 'version' || name === 'pk' || name === 'sk') continue;
      names[`#s${i}`] = name;
      if (value === undefined) {
        removals.push(`#s${i}`);
      } else {
        values[`:s${i}`] = value;
        assignments.push(`#s${i} = :s${i}`);
      }
    }
    const update = `SET ${assignments.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`;
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(pk) AND ${conditions.join(' AND ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return z.parse(schema, Attributes);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // dynalite ignores ReturnValuesOnConditionCheckFailure: read the record to say where it is.
      const current = await this.get(key, z.looseObject({ status: z.optional(z.string()) }));
      throw new StaleRecordError(
        current === undefined ? 'The record does not exist or has expired' : 'The record changed since it was read',
        current?.status,
      );
    }
  }

  /**
   * Deletes a live single-use item and returns it; undefined when it is missing, expired or was
   * already consumed. One conditional delete, so concurrent callers cannot both succeed.
   */
  async consume<S extends z.core.$ZodType>(key: Key, schema: S, where: Record<string, string | number> = {}): Promise<z.output<S> | undefined> {
    // Extra conditions (`attribute = value`) make the delete happen only for the right caller.
    const extra = Object.keys(where).map((_, i) => ` AND #w${String(i)} = :w${String(i)}`).join('');
    try {
      const { Attributes } = await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(#ttl) OR #ttl > :now)${extra}`,
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE, ...Object.fromEntries(Object.keys(where).map((name, i) => [`#w${String(i)}`, name])) },
          ExpressionAttributeValues: { ':now': epochSeconds(this.clock.now()), ...Object.fromEntries(Object.values(where).map((value, i) => [`:w${String(i)}`, value])) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return Attributes === undefined ? undefined : z.parse(schema, Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * One UpdateItem with the caller's expressions (set arithmetic, claims), conditional on `condition`;
   * answers the item as written. A lost condition is a StaleRecordError. For the few writes the
   * record-shaped methods above cannot express; keep each caller's expressions next to its reasons.
   */
  async update(
    key: Key,
    expression: { update: string; condition: string; names?: Record<string, string>; values?: Record<string, unknown> },
  ): Promise<Record<string, unknown>> {
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: expression.update,
          ConditionExpression: expression.condition,
          ...(expression.names === undefined ? {} : { ExpressionAttributeNames: expression.names }),
          ...(expression.values === undefined ? {} : { ExpressionAttributeValues: expression.values }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleRecordError('The condition of the update did not hold');
      throw error;
    }
  }

  /** Deletes the item when `condition` holds; answers whether it did. */
  async deleteIf(key: Key, expression: { condition: string; names?: Record<string, string>; values?: Record<string, unknown> }): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: expression.condition,
          ...(expression.names === undefined ? {} : { ExpressionAttributeNames: expression.names }),
          ...(expression.values === undefined ? {} : { ExpressionAttributeValues: expression.values }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Adds `by` to a counter that lives until `expiresAt` and returns the new value. A counter whose
   * expiry has passed (TTL deletes late) starts again from `by` with the new expiry.
   */
  async increment(key: Key, attribute: string, by: number, expiresAt: number): Promise<number> {
    const now = epochSeconds(this.clock.now());
    const names = { '#n': attribute, '#ttl': TTL_ATTRIBUTE };
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'ADD #n :by SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(#ttl) OR #ttl > :now',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':by': by, ':ttl': expiresAt, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return z.number().parse(Attributes?.[attribute]);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Expired: restart it, unless a concurrent caller already did (then count on theirs).
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, [attribute]: by, [TTL_ATTRIBUTE]: expiresAt },
          ConditionExpression: 'attribute_not_exists(#ttl) OR #ttl <= :now',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return by;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return this.increment(key, attribute, by, expiresAt);
    }
  }

  /**
   * Queries one partition (of the table or an index), newest first by default, skipping expired
   * items. `cursor` continues a previous page and must belong to the same partition.
   */
  async query<S extends z.core.$ZodType>(
    options: {
      index?: string;
      partition: { name: string; value: string };
      sortBetween?: { name: string; from: string; to: string };
      newestFirst?: boolean;
      limit?: number;
      cursor?: string;
      /** Also items past their expiry that DynamoDB has not deleted yet: only for erasing them. */
      includeExpired?: boolean;
    },
    schema: S,
  ): Promise<Page<z.output<S>>> {
    const names: Record<string, string> = { '#p': options.partition.name };
    const values: Record<string, unknown> = { ':p': options.partition.value };
    let condition = '#p = :p';
    if (options.sortBetween) {
      names['#s'] = options.sortBetween.name;
      values[':from'] = options.sortBetween.from;
      values[':to'] = options.sortBetween.to;
      condition += ' AND #s BETWEEN :from AND :to';
    }
    const index = tableList.flatMap((t) => t.indexes).find((i) => i.name === options.index);
    if (options.index !== undefined && index === undefined) throw new Error(`Unknown index ${options.index}`);
    const keyNames = ['pk', 'sk', ...(index === undefined ? [] : [index.partitionKey, index.sortKey])];
    const startKey = options.cursor === undefined ? undefined : decodeCursor(options.cursor, options.partition, keyNames, options.sortBetween);
    let result;
    try {
      result = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: options.index,
          KeyConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: options.newestFirst === false,
          Limit: options.limit ?? 50,
          ExclusiveStartKey: startKey,
        }),
      );
    } catch (error) {
      // Whatever slipped past the cursor checks is still the caller's cursor, not our fault.
      if (startKey !== undefined && error instanceof Error && error.name === 'ValidationException') throw invalidCursor();
      throw error;
    }
    const { Items = [], LastEvaluatedKey } = result;
    const items = Items.filter((item) => options.includeExpired === true || !this.isExpired(item)).map((item) => z.parse(schema, item));
    return LastEvaluatedKey === undefined ? { items } : { items, cursor: encodeCursor(LastEvaluatedKey) };
  }

  /** Every item a query finds, all pages read in turn (`limit` is the page size). */
  async queryAll<S extends z.core.$ZodType>(options: Omit<Parameters<DynamoTable['query']>[0], 'cursor'>, schema: S): Promise<Array<z.output<S>>> {
    const items: Array<z.output<S>> = [];
    let cursor: string | undefined;
    do {
      const page = await this.query({ ...options, ...(cursor === undefined ? {} : { cursor }) }, schema);
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return items;
  }
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

const invalidCursor = () => new ValidationError('The cursor is not valid for this listing', [{ path: 'query.cursor', message: 'invalid' }]);

/** A cursor must name exactly the listing's key attributes, in its partition and sort range. */
function decodeCursor(
  cursor: string,
  partition: { name: string; value: string },
  keyNames: string[],
  sortBetween: { name: string; from: string; to: string } | undefined,
): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const key = cursorSchema.safeParse(parsed);
  if (!key.success || key.data[partition.name] !== partition.value) throw invalidCursor();
  const expected = [...new Set(keyNames.filter((name) => name !== ''))].sort();
  if (JSON.stringify(Object.keys(key.data).sort()) !== JSON.stringify(expected)) throw invalidCursor();
  const sortValue = sortBetween === undefined ? undefined : key.data[sortBetween.name];
  if (sortBetween !== undefined && (sortValue === undefined || sortValue < sortBetween.from || sortValue > sortBetween.to)) throw invalidCursor();
  return key.data;
}
