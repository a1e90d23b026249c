/**
 * DynamoBackfillStore through the real DynamoDB client against dynalite: a plan write whose
 * answer was lost. The first PutItem lands server-side, then the caller's side throws a
 * transient error, so the SDK sends it again and the retried conditional write finds the
 * version it expected already moved, by itself.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients, type AwsClients } from '../../functions/adapters/awsClients.js';
import { DynamoBackfillStore } from '../../functions/adapters/dynamoBackfillStore.js';
import { complete, dispatch, newPlan, type BackfillPlan } from '../../functions/backfill/plan.js';
import { PlanConflictError } from '../../functions/backfill/ports.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';

const NOW = 1_700_000_000_000;
const REF = { source: 'acme', collection: 'events', id: 'bf-lost' };

let aws: AwsTestEnv;
let lossy: AwsClients;
/** The next PutItem whose item matches this lands, and its answer is lost once. */
let loseAnswerOf: ((item: Record<string, unknown>) => boolean) | undefined;
let lostAnswers = 0;

beforeAll(async () => {
  aws = await startAwsEmulators();
  lossy = createAwsClients({ region: aws.emulators.region, endpoints: aws.emulators.endpoints, credentials: aws.emulators.credentials, requestTimeoutMs: 5_000 });
  loseAnswerOf = undefined;
  // Below the SDK's retry step: the request reaches the server, the answer does not reach us.
  lossy.documents.middlewareStack.add(
    (next, context) => async (args) => {
      // Marshalled by now: { writeToken: { S: '...' } }.
      const item = (args.input as { Item?: Record<string, { S?: string }> }).Item;
      const result = await next(args);
      if (/^Put(Item)?Command$/.test(context.commandName ?? '') && loseAnswerOf && item && loseAnswerOf({ writeToken: item.writeToken?.S })) {
        loseAnswerOf = undefined;
        lostAnswers += 1;
        throw Object.assign(new Error('socket timed out after the request was sent'), { name: 'TimeoutError', $retryable: {} });
      }
      return result;
    },
    { step: 'deserialize', name: 'loseOneAnswer', priority: 'high' },
  );
});
afterAll(async () => {
  lossy?.destroy();
  await aws?.close();
});

async function freshStores(): Promise<{ lossyStore: DynamoBackfillStore; store: DynamoBackfillStore }> {
  const { table } = await aws.fresh();
  return { lossyStore: new DynamoBackfillStore(lossy.documents as DynamoDBDocumentClient, table), store: new DynamoBackfillStore(aws.clients.documents, table) };
}

function started(): BackfillPlan {
  const { plan } = dispatch(newPlan(REF, { from: NOW / 1000 - 8 * 86_400, to: NOW / 1000 }, 1, NOW), NOW);
  return { ...plan, writeToken: 'create-token' };
}

describe('DynamoBackfillStore, idempotent writes', () => {
  it('treats a retried save whose first attempt landed as done', async () => {
    const { lossyStore, store } = await freshStores();
    const plan = started();
    await store.create(plan);
    const { plan: next } = dispatch(complete(plan, 0, NOW + 1_000), NOW + 1_000);
    const write = { ...next, version: plan.version + 1, writeToken: 'save-token' };
    loseAnswerOf = (item) => item.writeToken === 'save-token';
    const before = lostAnswers;

    await lossyStore.save(write);

    expect(lostAnswers).toBe(before + 1);
    expect(await store.load(REF)).toMatchObject({ version: 2, completed: [0], dispatched: 2, writeToken: 'save-token' });
  });

  it('treats a retried create whose first attempt landed as done, and lists the plan once', async () => {
    const { lossyStore, store } = await freshStores();
    loseAnswerOf = (item) => item.writeToken === 'create-token';
    const before = lostAnswers;

    await lossyStore.create(started());

    expect(lostAnswers).toBe(before + 1);
    expect(await store.active()).toEqual([REF]);
  });

  it('still refuses a write at the same version with another token: that is another worker', async () => {
    const { store } = await freshStores();
    const plan = started();
    await store.create(plan);
    await store.save({ ...complete(plan, 0, NOW), version: 2, writeToken: 'worker-a' });

    await expect(store.save({ ...complete(plan, 0, NOW), version: 2, writeToken: 'worker-b' })).rejects.toThrow(PlanConflictError);
    await expect(store.create({ ...started(), writeToken: 'another-create' })).rejects.toThrow(/exists already/);
  });
});
