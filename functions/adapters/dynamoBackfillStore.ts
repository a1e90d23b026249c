/**
 * Backfill plans in the checkpoint table, beside the checkpoints:
 *   pk `{source}#{collection}#backfill#{id}`, itemType 'backfill-plan': one plan;
 *   pk `_backfills`, itemType 'backfill-registry', `active`: a string set of the running plans' pks,
 * so the tick finds the running backfills with one GetItem instead of a Scan.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BackfillPlan, BackfillRef } from '../backfill/plan.js';
import { PlanConflictError, type BackfillStore } from '../backfill/ports.js';
import { CHECKPOINT_PARTITION_KEY, ITEM_TYPE_ATTRIBUTE } from './dynamoCheckpointStore.js';

const REGISTRY_PK = '_backfills';

export function planPk(ref: BackfillRef): string {
  return `${ref.source}#${ref.collection}#backfill#${ref.id}`;
}

function refOf(pk: string): BackfillRef | undefined {
  const [source, collection, marker, id] = pk.split('#');
  return source && collection && marker === 'backfill' && id ? { source, collection, id } : undefined;
}

export class DynamoBackfillStore implements BackfillStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async create(plan: BackfillPlan): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [CHECKPOINT_PARTITION_KEY]: planPk(plan), [ITEM_TYPE_ATTRIBUTE]: 'backfill-plan', ...plan, version: 1 },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': CHECKPOINT_PARTITION_KEY },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (!(await this.holdsOwnWrite({ ...plan, version: 1 }))) throw new PlanConflictError(`backfill ${planPk(plan)} exists already: pick another id`);
    }
    plan.version = 1;
    await this.registry('ADD', planPk(plan));
  }

  async load(ref: BackfillRef): Promise<BackfillPlan | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { [CHECKPOINT_PARTITION_KEY]: planPk(ref) }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { [CHECKPOINT_PARTITION_KEY]: _pk, [ITEM_TYPE_ATTRIBUTE]: _type, ...plan } = Item;
    return plan as BackfillPlan;
  }

  async save(next: BackfillPlan): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [CHECKPOINT_PARTITION_KEY]: planPk(next), [ITEM_TYPE_ATTRIBUTE]: 'backfill-plan', ...next },
          ConditionExpression: '#version = :previous',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':previous': next.version - 1 },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (!(await this.holdsOwnWrite(next))) throw new PlanConflictError(`backfill ${planPk(next)} moved on while this write was prepared`);
    }
    if (next.status === 'done') await this.registry('DELETE', planPk(next));
  }

  async active(): Promise<BackfillRef[]> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { [CHECKPOINT_PARTITION_KEY]: REGISTRY_PK }, ConsistentRead: true }),
    );
    const pks = Item?.active instanceof Set ? [...(Item.active as Set<string>)] : [];
    return pks.map(refOf).filter((ref): ref is BackfillRef => ref !== undefined);
  }

  /** Every plan, running or done: a Scan, for `status` and the backfill CLI, never for the tick. */
  async listPlans(): Promise<BackfillPlan[]> {
    const plans: BackfillPlan[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          FilterExpression: '#type = :plan',
          ExpressionAttributeNames: { '#type': ITEM_TYPE_ATTRIBUTE },
          ExpressionAttributeValues: { ':plan': 'backfill-plan' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const { [CHECKPOINT_PARTITION_KEY]: _pk, [ITEM_TYPE_ATTRIBUTE]: _type, ...plan } of page.Items ?? []) plans.push(plan as BackfillPlan);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return plans;
  }

  /**
   * Whether the item is this very write: a retry (the SDK's, or the caller's after a lost answer)
   * of a conditional write that already landed finds its own version and write token, and the
   * write is done; refusing it would strand the windows it handed out.
   */
  private async holdsOwnWrite(next: BackfillPlan): Promise<boolean> {
    if (next.writeToken === undefined) return false;
    const stored = await this.load(next);
    return stored !== undefined && stored.version === next.version && stored.writeToken === next.writeToken;
  }

  /** Set ADD and DELETE are atomic: concurrent backfills never lose each other's entries. */
  private async registry(action: 'ADD' | 'DELETE', pk: string): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [CHECKPOINT_PARTITION_KEY]: REGISTRY_PK },
        UpdateExpression: `SET #type = :type ${action} #active :entry`,
        ExpressionAttributeNames: { '#type': ITEM_TYPE_ATTRIBUTE, '#active': 'active' },
        ExpressionAttributeValues: { ':type': 'backfill-registry', ':entry': new Set([pk]) },
      }),
    );
  }
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';
}
