/** DynamoCheckpointStore through the real DynamoDB client against dynalite. */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointPk } from '../../functions/adapters/dynamoCheckpointStore.js';
import { emptyCheckpoint, type Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { LeaseHeldError, LeaseLostError } from '../../functions/pipeline/errors.js';
import { startAwsEmulators, type AwsTestEnv } from '../support/awsEmulators.js';

const NOW = 1_700_000_000_000;
const KEY = { source: 'acme', collection: 'contacts' };

let aws: AwsTestEnv;
beforeAll(async () => {
  aws = await startAwsEmulators();
});
afterAll(async () => {
  await aws?.close();
});

/** A checkpoint as the Lease class writes it: the given version, leased by `owner` until `expiresAtMs`. */
function leased(owner: string | undefined, version: number, expiresAtMs = NOW + 60_000, base: Checkpoint = emptyCheckpoint(KEY)): Checkpoint {
  return { ...base, version, lease: owner === undefined ? undefined : { owner, expiresAtMs } };
}

/** Every field set, nested objects included, some undefined at depth. */
function busyCheckpoint(): Checkpoint {
  return {
    source: 'acme',
    collection: 'lesson_transcripts',
    watermark: 1_699_990_000,
    watermarkMovedAtMs: NOW - 5_000,
    version: 7,
    lease: { owner: 'invocation-a', expiresAtMs: NOW + 900_000 },
    counters: {
      records: 123_456,
      pages: 1_234,
      files: 99,
      bytes: 9_876_543_210,
      lastSuccessAtMs: NOW - 1_000,
      lastError: { code: 'CURSOR_EXPIRED', message: 'cursor "abc" expired — ünïcode ✓', atMs: NOW - 2_000 },
    },
    inFlight: {
      runId: 'run-42',
      targetEnd: 1_700_000_000,
      window: { start: 1_699_000_000, end: 1_699_500_000 },
      pending: [
        { start: 1_699_500_000, end: 1_699_750_000 },
        { start: 1_699_750_000, end: 1_700_000_000 },
      ],
      query: { queryId: 'q-1', next: { queryId: 'q-1', cursor: 'c/+=3', sequence: 3 }, pages: 3, records: 300 },
      queryOpened: true,
      transcripts: {
        contactsQueryId: 'contacts-q',
        next: { contactsPage: undefined, indexInPage: 17 },
        contacts: 17,
        records: 512,
      },
      generation: 2,
      startedAtMs: NOW - 60_000,
      cursorRestarts: 1,
      splits: 3,
    },
  };
}

/** What DynamoDB can hold: the same object without undefined-valued fields. */
function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

describe('DynamoCheckpointStore', () => {
  it('loads undefined for a collection that never ran', async () => {
    const { checkpoints } = await aws.fresh();

    expect(await checkpoints.load(KEY)).toBeUndefined();
  });

  it('claims a collection that has no item yet', async () => {
    const { checkpoints } = await aws.fresh();
    const next = leased('invocation-a', 1);

    await checkpoints.claim(next, 0, NOW);

    expect(await checkpoints.load(KEY)).toEqual(next);
  });

  it('refuses a claim while another owner holds a live lease, naming the holder', async () => {
    const { checkpoints } = await aws.fresh();
    await checkpoints.claim(leased('invocation-a', 1, NOW + 60_000), 0, NOW);

    const claim = checkpoints.claim(leased('invocation-b', 2), 1, NOW + 59_999);

    await expect(claim).rejects.toThrow(LeaseHeldError);
    await expect(claim).rejects.toMatchObject({ owner: 'invocation-a', expiresAtMs: NOW + 60_000 });
    expect((await checkpoints.load(KEY))?.lease?.owner).toBe('invocation-a');
  });

  it('lets another owner claim once the lease has expired', async () => {
    const { checkpoints } = await aws.fresh();
    await checkpoints.claim(leased('invocation-a', 1, NOW + 60_000), 0, NOW);

    await checkpoints.claim(leased('invocation-b', 2, NOW + 120_000), 1, NOW + 60_000);

    expect(await checkpoints.load(KEY)).toMatchObject({ version: 2, lease: { owner: 'invocation-b' } });
  });

  it('lets the holder claim again while its own lease is live', async () => {
    const { checkpoints } = await aws.fresh();
    await checkpoints.claim(leased('invocation-a', 1), 0, NOW);

    await checkpoints.claim(leased('invocation-a', 2), 1, NOW + 1_000);

    expect((await checkpoints.load(KEY))?.version).toBe(2);
  });

  it('refuses a claim made from a version that has since moved, saying so', async () => {
    const { checkpoints } = await aws.fresh();
    await checkpoints.claim(leased(undefined, 1), 0, NOW);
    await checkpoints.claim(leased(undefined, 2), 1, NOW);

    const stale = checkpoints.claim(leased('invocation-b', 2), 1, NOW);

    await expect(stale).rejects.toThrow(LeaseLostError);
    await expect(stale).rejects.toThrow(/expected version 1, found version 2/);
  });

  it('refuses a first claim when another invocation created the item first', async () => {
    const { checkpoints } = await aws.fresh();
    await checkpoints.claim(leased(undefined, 1), 0, NOW);

    await expect(checkpoints.claim(leased('invocation-b', 1), 0, NOW)).rejects.toThrow(LeaseLostError);
  });

  it('saves progress for the lease holder', async () => {
    const { checkpoints } = await aws.fresh();
    await checkpoints.claim(leased('invocation-a', 1), 0, NOW);
    const progressed = { ...leased('invocation-a', 2), watermark: 1_699_999_000 };

    await checkpoints.save(progressed, 'invocation-a');

    expect(await checkpoints.load(KEY)).toEqual(progressed);
  });

  it('refuses a save from a zombie whose lease was taken over, leaving the item unchanged', async () => {
    const { checkpoints } = await aws.fresh();
    await checkpoints.claim(leased('zombie', 1, NOW + 1_000), 0, NOW);
    const takenOver = { ...leased('successor', 2, NOW + 600_000), watermark: 1_699_000_000 };
    await checkpoints.claim(takenOver, 1, NOW + 2_000);

    const zombieSave = checkpoints.save({ ...leased('zombie', 2), watermark: 1_699_999_999 }, 'zombie');

    await expect(zombieSave).rejects.toThrow(LeaseLostError);
    await expect(zombieSave).rejects.toThrow(/lease owner now successor/);
    expect(await checkpoints.load(KEY)).toEqual(takenOver);
  });

  it('refuses a save that skips or repeats a version, naming the stored one', async () => {
    const { checkpoints } = await aws.fresh();
    await checkpoints.claim(leased('invocation-a', 1), 0, NOW);
    await checkpoints.save(leased('invocation-a', 2), 'invocation-a');

    const repeat = checkpoints.save(leased('invocation-a', 2, NOW + 99_000), 'invocation-a');

    await expect(repeat).rejects.toThrow(LeaseLostError);
    await expect(repeat).rejects.toThrow(/version now 2 \(expected 1\)/);
  });

  it('treats a retried claim or save whose first attempt already landed as done', async () => {
    const { checkpoints } = await aws.fresh();
    const claimed = leased('invocation-a', 1);
    const saved = { ...leased('invocation-a', 2, NOW + 70_000), watermark: 1_699_999_000 };

    await checkpoints.claim(claimed, 0, NOW);
    await checkpoints.claim(claimed, 0, NOW);
    await checkpoints.save(saved, 'invocation-a');
    await checkpoints.save(saved, 'invocation-a');

    expect(await checkpoints.load(KEY)).toEqual(saved);
  });

  it('refuses a save after the holder released its lease', async () => {
    const { checkpoints } = await aws.fresh();
    await checkpoints.claim(leased('invocation-a', 1), 0, NOW);
    await checkpoints.save(leased(undefined, 2), 'invocation-a');

    await expect(checkpoints.save(leased('invocation-a', 3), 'invocation-a')).rejects.toThrow(/lease owner now none/);
  });

  it('stores strictly increasing versions across claims and saves', async () => {
    const { checkpoints } = await aws.fresh();
    const seen: number[] = [];

    await checkpoints.claim(leased('a', 1), 0, NOW);
    seen.push((await checkpoints.load(KEY))!.version);
    for (const version of [2, 3, 4]) {
      await checkpoints.save(leased('a', version), 'a');
      seen.push((await checkpoints.load(KEY))!.version);
    }
    await checkpoints.claim(leased('b', 5), 4, NOW + 120_000);
    seen.push((await checkpoints.load(KEY))!.version);

    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('round-trips every checkpoint field exactly, undefined fields coming back absent', async () => {
    const { checkpoints } = await aws.fresh();
    const checkpoint = busyCheckpoint();

    await checkpoints.claim(checkpoint, 0, NOW);
    const loaded = await checkpoints.load(checkpoint);

    expect(loaded).toStrictEqual(withoutUndefined(checkpoint));
    expect(loaded).toEqual(checkpoint);
  });

  it('keeps version and lease as top-level attributes and leaves undefined fields out of the item', async () => {
    const { checkpoints, table } = await aws.fresh();
    await checkpoints.claim(leased('invocation-a', 1, NOW + 5_000), 0, NOW);

    const { Item } = await aws.clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: checkpointPk(KEY) } }, ConsistentRead: true }));

    expect(Item).toMatchObject({ pk: { S: 'acme#contacts' }, version: { N: '1' }, leaseOwner: { S: 'invocation-a' }, leaseExpiresAtMs: { N: String(NOW + 5_000) } });
    expect(Object.keys(Item!).sort()).toEqual(['collection', 'counters', 'leaseExpiresAtMs', 'leaseOwner', 'pk', 'source', 'version']);
  });

  it('lists every stored checkpoint', async () => {
    const { checkpoints } = await aws.fresh();
    const collections = ['contacts', 'events', 'lessons', 'tags'];
    for (const collection of collections) await checkpoints.claim({ ...leased(undefined, 1), collection }, 0, NOW);

    const listed = await checkpoints.list();

    expect(listed.map((checkpoint) => checkpoint.collection).sort()).toEqual(collections);
    expect(listed.every((checkpoint) => checkpoint.source === 'acme' && checkpoint.version === 1)).toBe(true);
  });
});
