/**
 * CheckpointStore on one DynamoDB table. Every write is a conditional PutItem of the whole
 * item, so the checkpoint only moves from the version its writer read, and only while the
 * writer holds the lease: a zombie invocation (lease expired, taken over) can never write.
 *
 * Item layout (partition key `pk`, no sort key; one item per source and collection):
 *
 *   pk                  S  "{source}#{collection}"   (source names cannot contain '#')
 *   version             N  incremented by every write; the optimistic lock
 *   leaseOwner          S  absent when no lease is held
 *   leaseExpiresAtMs    N  absent when no lease is held
 *   source, collection  S
 *   watermark, watermarkMovedAtMs   N    absent while undefined
 *   inFlight, counters              M    the Checkpoint's nested objects as native maps/lists
 *
 * The three lease/version attributes are top level because condition expressions read them.
 * Everything else round-trips exactly, except that a field holding `undefined` comes back
 * absent (DynamoDB has no undefined). Only PutItem, GetItem and Scan are used: dynalite, the
 * local emulator, has conditional writes but no transactions and no TTL.
 */
import { ConditionalCheckFailedException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CodedError } from '../errors/coded.js';
import type { Checkpoint, CheckpointKey } from '../pipeline/checkpoint.js';
import { LeaseHeldError, LeaseLostError } from '../pipeline/errors.js';
import type { CheckpointStore, WriteOptions } from '../pipeline/ports.js';

export const CHECKPOINT_PARTITION_KEY = 'pk';

/** The CreateTable input minus TableName; the CDK stack declares the same key (`pk`, string) and billing. */
export const checkpointTableSchema: Readonly<Omit<CreateTableCommandInput, 'TableName'>> = {
  AttributeDefinitions: [{ AttributeName: CHECKPOINT_PARTITION_KEY, AttributeType: 'S' }],
  KeySchema: [{ AttributeName: CHECKPOINT_PARTITION_KEY, KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
};

/** The DynamoDB call itself failed (throttled, timed out, table missing): not a lease outcome. */
export class CheckpointStoreError extends CodedError {
  readonly code: string = 'CHECKPOINT_STORE_FAILED';
  override readonly retriable: boolean = true;
  override name = 'CheckpointStoreError';
}

/** The item is there but not a checkpoint this code wrote: reading it again will not help. */
export class CheckpointItemMalformedError extends CheckpointStoreError {
  override readonly code = 'CHECKPOINT_ITEM_MALFORMED';
  override readonly retriable = false;
  override name = 'CheckpointItemMalformedError';
}

/** What a failed condition found in the item: enough to say why the write was refused. */
interface Condition {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

interface Blocker {
  version: number | undefined;
  leaseOwner: string | undefined;
  leaseExpiresAtMs: number | undefined;
}

export function checkpointPk(key: CheckpointKey): string {
  return key.lane === undefined ? `${key.source}#${key.collection}` : `${key.source}#${key.collection}#${key.lane}`;
}

/** Items of other kinds share the table (backfill plans) and say so in this attribute. */
export const ITEM_TYPE_ATTRIBUTE = 'itemType';

export class DynamoCheckpointStore implements CheckpointStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async load(key: CheckpointKey): Promise<Checkpoint | undefined> {
    const pk = checkpointPk(key);
    const { Item } = await this.call('GetItem', pk, () =>
      this.documents.send(new GetCommand({ TableName: this.tableName, Key: { [CHECKPOINT_PARTITION_KEY]: pk }, ConsistentRead: true })),
    );
    return Item ? this.fromItem(Item) : undefined;
  }

  async claim(next: Checkpoint, expectedVersion: number, nowMs: number, options: WriteOptions = {}): Promise<void> {
    if (!(next.version > expectedVersion)) {
      throw new Error(`claim of ${checkpointPk(next)} must write a version above ${expectedVersion}, got ${next.version}`);
    }
    const me = next.lease?.owner;
    // expectedVersion 0 means "never written": every write leaves version >= 1, so absence is the whole test.
    const condition: Condition =
      expectedVersion === 0
        ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': CHECKPOINT_PARTITION_KEY } }
        : {
            ConditionExpression: `#version = :expected AND (attribute_not_exists(#owner) OR #expires <= :now${me === undefined ? '' : ' OR #owner = :me'})`,
            ExpressionAttributeNames: { '#version': 'version', '#owner': 'leaseOwner', '#expires': 'leaseExpiresAtMs' },
            ExpressionAttributeValues: { ':expected': expectedVersion, ':now': nowMs, ...(me === undefined ? {} : { ':me': me }) },
          };
    const blocker = await this.conditionalPut(next, condition, options);
    if (!blocker || isOwnWrite(blocker, next)) return;
    const pk = checkpointPk(next);
    if (blocker.leaseOwner !== undefined && blocker.leaseOwner !== me && (blocker.leaseExpiresAtMs ?? 0) > nowMs) {
      throw new LeaseHeldError(blocker.leaseOwner, blocker.leaseExpiresAtMs ?? 0);
    }
    throw new LeaseLostError(`claim of ${pk} refused: expected version ${expectedVersion}, ${describeBlocker(blocker)}`);
  }

  async save(next: Checkpoint, owner: string, options: WriteOptions = {}): Promise<void> {
    const previous = next.version - 1;
    const blocker = await this.conditionalPut(next, {
      ConditionExpression: '#version = :prev AND #owner = :me',
      ExpressionAttributeNames: { '#version': 'version', '#owner': 'leaseOwner' },
      ExpressionAttributeValues: { ':prev': previous, ':me': owner },
    }, options);
    if (!blocker || isOwnWrite(blocker, next)) return;
    const moved = [
      blocker.version !== previous ? `version now ${blocker.version ?? 'absent'} (expected ${previous})` : undefined,
      blocker.leaseOwner !== owner ? `lease owner now ${blocker.leaseOwner ?? 'none'}` : undefined,
    ].filter(Boolean);
    throw new LeaseLostError(
      `save of ${checkpointPk(next)} by ${owner} refused: ${blocker.version === undefined ? 'the item no longer exists' : moved.join(', ') || 'the checkpoint changed while the write was in flight'}`,
    );
  }

  async list(): Promise<Checkpoint[]> {
    const checkpoints: Checkpoint[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.call('Scan', '*', () =>
        this.documents.send(new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: startKey })),
      );
      for (const item of page.Items ?? []) if (item[ITEM_TYPE_ATTRIBUTE] === undefined) checkpoints.push(this.fromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return checkpoints;
  }

  /** Writes the item; resolves undefined on success, or what blocked it when the condition failed. */
  private async conditionalPut(next: Checkpoint, condition: Condition, options: WriteOptions): Promise<Blocker | undefined> {
    const pk = checkpointPk(next);
    try {
      await this.documents.send(
        new PutCommand({ TableName: this.tableName, Item: toItem(next), ...condition, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
        // The invocation's write deadline: a write still unanswered then is abandoned, not left to outlive it.
        options.signal ? { abortSignal: options.signal } : {},
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) && (error as Error)?.name !== 'ConditionalCheckFailedException') {
        throw storeError('PutItem', this.tableName, pk, error);
      }
      const old = (error as ConditionalCheckFailedException).Item;
      // DynamoDB returns the blocking item; dynalite ignores ReturnValuesOnConditionCheckFailure, and an
      // absent item returns nothing either way. Then a consistent read says what is there now: it may
      // be newer than what blocked us, which only changes the wording of an error we already owe.
      return old ? blockerFromAttributeValues(old) : await this.readBlocker(pk);
    }
  }

  private async readBlocker(pk: string): Promise<Blocker> {
    const { Item } = await this.call('GetItem', pk, () =>
      this.documents.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [CHECKPOINT_PARTITION_KEY]: pk },
          ConsistentRead: true,
          ProjectionExpression: '#version, #owner, #expires',
          ExpressionAttributeNames: { '#version': 'version', '#owner': 'leaseOwner', '#expires': 'leaseExpiresAtMs' },
        }),
      ),
    );
    return {
      version: typeof Item?.version === 'number' ? Item.version : undefined,
      leaseOwner: typeof Item?.leaseOwner === 'string' ? Item.leaseOwner : undefined,
      leaseExpiresAtMs: typeof Item?.leaseExpiresAtMs === 'number' ? Item.leaseExpiresAtMs : undefined,
    };
  }

  private async call<T>(operation: string, pk: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw storeError(operation, this.tableName, pk, error);
    }
  }

  private fromItem(item: Record<string, unknown>): Checkpoint {
    const { [CHECKPOINT_PARTITION_KEY]: pk, leaseOwner, leaseExpiresAtMs, ...rest } = item;
    const problem =
      typeof rest.source !== 'string' || typeof rest.collection !== 'string'
        ? 'source and collection must be strings'
        : typeof rest.version !== 'number'
          ? 'version must be a number'
          : typeof rest.counters !== 'object' || rest.counters === null
            ? 'counters must be a map'
            : (leaseOwner === undefined) !== (leaseExpiresAtMs === undefined) || (leaseOwner !== undefined && typeof leaseExpiresAtMs !== 'number')
              ? 'leaseOwner and leaseExpiresAtMs must be both present (a string and a number) or both absent'
              : undefined;
    if (problem) throw new CheckpointItemMalformedError(`checkpoint item ${JSON.stringify(pk)} in table ${this.tableName} is malformed: ${problem}`);
    return {
      ...(rest as unknown as Checkpoint),
      ...(leaseOwner === undefined ? {} : { lease: { owner: String(leaseOwner), expiresAtMs: leaseExpiresAtMs as number } }),
    };
  }
}

function toItem(checkpoint: Checkpoint): Record<string, unknown> {
  const { lease, ...rest } = checkpoint;
  return { [CHECKPOINT_PARTITION_KEY]: checkpointPk(checkpoint), ...rest, leaseOwner: lease?.owner, leaseExpiresAtMs: lease?.expiresAtMs };
}

function blockerFromAttributeValues(item: Record<string, { N?: string; S?: string } | undefined>): Blocker {
  return {
    version: item.version?.N === undefined ? undefined : Number(item.version.N),
    leaseOwner: item.leaseOwner?.S,
    leaseExpiresAtMs: item.leaseExpiresAtMs?.N === undefined ? undefined : Number(item.leaseExpiresAtMs.N),
  };
}

/**
 * The SDK retries a PutItem that timed out; if the first attempt landed, the retry fails its own
 * condition. The stored item is then exactly ours (same version, owner and expiry, which no other
 * write repeats), so the write succeeded: failing it would strand our own lease until it expires.
 * A write that releases the lease leaves no such fingerprint and still fails, harmlessly.
 */
function isOwnWrite(blocker: Blocker, next: Checkpoint): boolean {
  return (
    next.lease !== undefined &&
    blocker.version === next.version &&
    blocker.leaseOwner === next.lease.owner &&
    blocker.leaseExpiresAtMs === next.lease.expiresAtMs
  );
}

function describeBlocker(blocker: Blocker): string {
  if (blocker.version === undefined) return 'the item does not exist';
  const lease = blocker.leaseOwner === undefined ? 'no lease' : `lease held by ${blocker.leaseOwner} until ${blocker.leaseExpiresAtMs}`;
  return `found version ${blocker.version} (${lease})`;
}

function storeError(operation: string, table: string, pk: string, error: unknown): CheckpointStoreError {
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  return new CheckpointStoreError(`DynamoDB ${operation} on table ${table} (pk ${pk}) failed: ${name}: ${message}`, { cause: error });
}
