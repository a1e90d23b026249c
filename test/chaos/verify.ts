/**
 * Judges a chaos run against the simulator's truth, by the rule of test/e2e/local-runtime.test.ts:
 *
 * - **Nothing lost.** Per collection, W1 is the first watermark it reached (the end of its first
 *   window [start, W1), read from the checkpoint writes DynamoDB applied). Every record of the
 *   state at W1 - 1 landed, as that version or a later one (a version superseded before the first
 *   query looked is unobservable); and every version created or updated in [W1, final watermark)
 *   landed exactly. (test/e2e/local-runtime.test.ts checks the state at W1 and the tail after it:
 *   the same versions, once a window after W1 has closed; this split also holds when none has.)
 * - **Every duplicate explained.** Copies of a version in different objects come from windows
 *   that each matched the record (overlap), from one window read again with a new query (a new
 *   generation: expired or stalled cursor, crash before the first checkpoint), or from the same
 *   pages read again (same generation, page ranges that share the record's page: a retry after a
 *   crash, a zombie). A key written twice must hold the same bytes each time.
 * - **The checkpoint never moved backwards.** Every write DynamoDB applied (seen by the proxy,
 *   answer lost or not) moves the version by one and never lowers the watermark or the counters;
 *   so does every write the store acknowledged (checkMonotonic).
 * - **Clean end.** No checkpoint left with a cursor or query id in flight or a last error; the
 *   dead-letter queue empty or each message in it explained by the faults its deliveries met.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listKeys } from '../support/listKeys.js';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { TRANSCRIPTS, type CollectionName } from '../../functions/conveyour/collections.js';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import type { Checkpoint } from '../../functions/pipeline/checkpoint.js';
import { checkMonotonic } from '../support/faultyPorts.js';
import type { AppliedPut, AppliedWrite } from './awsFaults.js';
import type { DeliveryOutcome } from './consumer.js';
import type { World } from './world.js';

export const DUPLICATE_REASONS = ['overlapping windows', 'window read again with a new query', 'pages read again (retry)'] as const;
export type DuplicateReason = (typeof DUPLICATE_REASONS)[number];

export interface Verdict {
  ok: boolean;
  /** Records of the initial state plus versions of the tail, over all collections. */
  versionsChecked: number;
  initialState: number;
  tailVersions: number;
  lost: number;
  /** Lost versions per source: each source is judged against its own account. */
  lostBySource: Record<string, number>;
  lostExamples: string[];
  objects: number;
  landedCopies: number;
  distinctVersions: number;
  /** Copies beyond the first of each version. */
  duplicates: number;
  /** duplicates / landedCopies. */
  duplicateRatio: number;
  duplicatesExplained: Record<DuplicateReason, number>;
  unexplainedDuplicates: string[];
  /** Records in an object whose window they do not match. */
  misplaced: string[];
  /** PUTs of a key S3 already held. */
  rewrites: number;
  /** Later PUTs of a key whose records differ from the first PUT's (keyRewriteViolations). */
  rewritesWithOtherRecords: string[];
  checkpointWrites: number;
  monotonicViolations: string[];
  leftInFlight: string[];
  lastErrors: string[];
  deadLetters: number;
  deadLettersUnexplained: string[];
}

export interface LandedObject {
  key: string;
  source: string;
  collection: CollectionName;
  /** The run that wrote it (its id is in the key). */
  run: string;
  window: { start: number; end: number };
  generation: number;
  /** Positions in the query the object's records came from: pages, or contact positions for transcripts. */
  range: [number, number];
  records: ConveYourRecord[];
}

/** Delivery outcomes that an injected fault explains: the message came back because of it. */
const FAULT_OUTCOMES = new Set<DeliveryOutcome>(['invocation died', 'timed out after its work', 'delete failed', 'send failed']);
const EXAMPLES = 20;

export async function verify(world: World, deliveries: ReadonlyMap<string, DeliveryOutcome[]>): Promise<Verdict> {
  const objects = await readLandingZone(world.directClients.s3, world.resources.bucket);
  const checkpoints = await world.directStore.list();
  const lostExamples: string[] = [];
  const lostBySource: Record<string, number> = {};
  let initialState = 0;
  let tailVersions = 0;

  const landed = indexLanded(objects);
  const misplaced: string[] = [];
  for (const object of objects) for (const record of object.records) if (!matches(object, record) && misplaced.length < EXAMPLES) misplaced.push(`${record._id}@${record.updated_at} in ${object.key}`);

  const firstWatermark = firstWatermarks(world.aws.appliedWrites);
  for (const { name: source, sim, collections } of world.accounts) {
    lostBySource[source] = 0;
    const lose = (examples: string[]) => {
      lostBySource[source]! += examples.length;
      lostExamples.push(...examples.slice(0, Math.max(0, EXAMPLES - lostExamples.length)));
    };
    for (const collection of collections) {
      const w1 = firstWatermark.get(`${source}#${collection}`);
      const final = checkpoints.find((cp) => cp.source === source && cp.collection === collection && cp.lane === undefined)?.watermark;
      if (w1 === undefined || final === undefined) {
        lose([`${source}/${collection}: never reached a watermark`]);
        continue;
      }
      // The first window is [start, W1): its query saw every record as of W1 - 1 (or later); versions at W1 on belong to the tail.
      const initial = sim.truth.stateAt(collection, w1 - 1);
      const tail = sim.truth.versions({ collection, from: w1, to: final });
      initialState += initial.length;
      tailVersions += tail.length;
      const lost = lostVersions(landed, source, collection, initial, tail);
      lose(lost.map((version) => `${source}/${version.description} ${version.initial ? `(initial state at ${w1 - 1})` : `(tail ${w1}..${final - 1})`} ${coverage(objects, world.aws.appliedWrites, source, collection, version.updatedAt)}`));
    }
  }
  const lost = Object.values(lostBySource).reduce((a, b) => a + b, 0);

  const duplicatesExplained = Object.fromEntries(DUPLICATE_REASONS.map((reason) => [reason, 0])) as Record<DuplicateReason, number>;
  const unexplainedDuplicates: string[] = [];
  let landedCopies = 0;
  let duplicates = 0;
  for (const [id, held] of landed.copies) {
    landedCopies += held.length;
    if (held.length < 2) continue;
    duplicates += held.length - 1;
    const explained = explain(held);
    if (!explained) {
      if (unexplainedDuplicates.length < EXAMPLES) unexplainedDuplicates.push(`${id} in ${held.map((object) => object.key).join(', ')}`);
      continue;
    }
    for (const [reason, count] of Object.entries(explained) as Array<[DuplicateReason, number]>) duplicatesExplained[reason] += count;
  }

  let rewrites = 0;
  for (const list of world.aws.puts.values()) rewrites += list.length - 1;
  const rewritesWithOtherRecords = keyRewriteViolations(world.aws.puts);

  const monotonicViolations = [...appliedWriteViolations(world.aws.appliedWrites), ...acknowledgedWriteViolations(world.store.writes)];
  const mine = checkpoints.filter((cp) => world.accounts.some((account) => account.name === cp.source));
  const leftInFlight = mine.filter((cp) => cp.inFlight !== undefined).map((cp) => `${cp.source}/${cp.collection}: ${JSON.stringify(cp.inFlight)}`);
  const lastErrors = mine.filter((cp) => cp.counters.lastError !== undefined).map((cp) => `${cp.source}/${cp.collection}: ${cp.counters.lastError!.code} ${cp.counters.lastError!.message}`);
  const deadLetters = await drainDeadLetters(world);
  const deadLettersUnexplained = deadLetters
    .filter((message) => {
      const outcomes = deliveries.get(message.id) ?? [];
      return outcomes.length === 0 || !outcomes.every((outcome) => FAULT_OUTCOMES.has(outcome));
    })
    .map((message) => `${message.id} ${message.body}: ${(deliveries.get(message.id) ?? []).join(', ') || 'never delivered to the consumer'}`);

  const verdict: Omit<Verdict, 'ok'> = {
    versionsChecked: initialState + tailVersions,
    initialState,
    tailVersions,
    lost,
    lostBySource,
    lostExamples,
    objects: objects.length,
    landedCopies,
    distinctVersions: landed.copies.size,
    duplicates,
    duplicateRatio: landedCopies === 0 ? 0 : duplicates / landedCopies,
    duplicatesExplained,
    unexplainedDuplicates,
    misplaced,
    rewrites,
    rewritesWithOtherRecords,
    checkpointWrites: world.aws.appliedWrites.length,
    monotonicViolations,
    leftInFlight,
    lastErrors,
    deadLetters: deadLetters.length,
    deadLettersUnexplained,
  };
  const ok =
    lost === 0 &&
    unexplainedDuplicates.length === 0 &&
    misplaced.length === 0 &&
    rewritesWithOtherRecords.length === 0 &&
    monotonicViolations.length === 0 &&
    leftInFlight.length === 0 &&
    lastErrors.length === 0 &&
    deadLettersUnexplained.length === 0 &&
    verdict.versionsChecked > 0;
  return { ok, ...verdict };
}

/** Every landed copy of every version, and the latest `updated_at` landed per record, keyed by source, collection and id. */
export interface LandedIndex {
  /** `source/collection:_id@updated_at` -> the objects holding that version. */
  copies: Map<string, LandedObject[]>;
  /** `source/collection:_id` -> the latest updated_at landed. */
  latest: Map<string, number>;
}

export function indexLanded(objects: readonly LandedObject[]): LandedIndex {
  const copies = new Map<string, LandedObject[]>();
  const latest = new Map<string, number>();
  for (const object of objects) {
    for (const record of object.records) {
      const recordKey = `${object.source}/${object.collection}:${record._id}`;
      const id = `${recordKey}@${record.updated_at}`;
      const list = copies.get(id);
      if (list) list.push(object);
      else copies.set(id, [object]);
      latest.set(recordKey, Math.max(latest.get(recordKey) ?? -1, Number(record.updated_at)));
    }
  }
  return { copies, latest };
}

/**
 * The versions of one source's collection that did not land: a record of the initial state
 * with neither that version nor a later one landed, or a version of the tail not landed exactly.
 */
export function lostVersions(
  landed: LandedIndex,
  source: string,
  collection: string,
  initial: ReadonlyArray<{ _id: string; updated_at: number }>,
  tail: ReadonlyArray<{ _id: string; updated_at: number }>,
): Array<{ description: string; updatedAt: number; initial: boolean }> {
  const lost: Array<{ description: string; updatedAt: number; initial: boolean }> = [];
  for (const version of initial) {
    if ((landed.latest.get(`${source}/${collection}:${version._id}`) ?? -1) >= version.updated_at) continue;
    lost.push({ description: `${collection}:${version._id}@${version.updated_at}`, updatedAt: version.updated_at, initial: true });
  }
  for (const version of tail) {
    if (landed.copies.has(`${source}/${collection}:${version._id}@${version.updated_at}`)) continue;
    lost.push({ description: `${collection}:${version._id}@${version.updated_at}`, updatedAt: version.updated_at, initial: false });
  }
  return lost;
}

/**
 * Keys S3 was given again with other records than its first PUT held (Snowpipe loads a file
 * name once: the second set of records would never reach Snowflake). Same records in the same
 * order, byte for byte once decompressed, is the only rewrite allowed.
 */
export function keyRewriteViolations(puts: ReadonlyMap<string, readonly AppliedPut[]>): string[] {
  const violations: string[] = [];
  for (const [key, list] of puts) {
    const [first, ...later] = list;
    later.forEach((put, index) => {
      if (put.digest === first!.digest) return;
      const longest = Math.max(put.records.length, first!.records.length);
      let position = 0;
      while (position < longest - 1 && put.records[position] === first!.records[position]) position += 1;
      violations.push(
        `${key}: PUT #${index + 2} holds other records than the first (${put.records.length} vs ${first!.records.length} records; from #${position + 1}: ${put.records[position] ?? 'none'} where the first had ${first!.records[position] ?? 'none'})`,
      );
    });
  }
  return violations;
}

/** For a lost version: the windows that landed objects and the windows checkpointed that cover its time, to say where it fell through. */
function coverage(objects: readonly LandedObject[], writes: readonly AppliedWrite[], source: string, collection: string, t: number): string {
  const landed = new Set(objects.filter((o) => o.source === source && o.collection === collection && o.window.start <= t && t < o.window.end).map((o) => `[${o.window.start},${o.window.end}) g${o.generation}`));
  const checkpointed = new Set(
    writes
      .filter((w) => w.pk === `${source}#${collection}` && w.window !== undefined)
      .map((w) => w.window!.split('-').map(Number) as [number, number])
      .filter(([start, end]) => start <= t && t < end)
      .map(([start, end]) => `[${start},${end})`),
  );
  const watermarks = [...new Set(writes.filter((w) => w.pk === `${source}#${collection}` && w.watermark !== undefined).map((w) => w.watermark))].slice(0, 4);
  return `- landed windows covering it: ${[...landed].join(' ') || 'none'}; checkpointed windows covering it: ${[...checkpointed].join(' ') || 'none'}; first watermarks ${watermarks.join(', ')}`;
}

/** Whether the window matched the record: created or updated in it (for transcripts, their contact was). */
function matches(object: LandedObject, record: ConveYourRecord): boolean {
  const matched = (object.collection === TRANSCRIPTS ? record.contact : record) as ConveYourRecord | undefined;
  const within = (t: unknown) => typeof t === 'number' && t >= object.window.start && t < object.window.end;
  return matched !== undefined && (within(matched.created_at) || within(matched.updated_at));
}

/**
 * The reasons for the extra copies of one version, or undefined when some copy has none: two
 * copies from one query (same window and generation) whose ranges cannot both hold the record.
 */
export function explain(held: readonly LandedObject[]): Partial<Record<DuplicateReason, number>> | undefined {
  const byWindow = groupBy(held, (object) => `${object.window.start}-${object.window.end}`);
  const reasons: Partial<Record<DuplicateReason, number>> = {};
  const add = (reason: DuplicateReason, count: number) => count > 0 && (reasons[reason] = (reasons[reason] ?? 0) + count);
  add('overlapping windows', byWindow.size - 1);
  for (const inWindow of byWindow.values()) {
    // One query is one run's read under one generation; another run or generation is a new query.
    const byGeneration = groupBy(inWindow, (object) => `${object.run}/g${object.generation}`);
    add('window read again with a new query', byGeneration.size - 1);
    for (const sameQuery of byGeneration.values()) {
      if (sameQuery.length < 2) continue;
      // One query serves a version at one position: every copy's range must contain it.
      const low = Math.max(...sameQuery.map((object) => object.range[0]));
      const high = Math.min(...sameQuery.map((object) => object.range[1]));
      if (low > high) return undefined;
      add('pages read again (retry)', sameQuery.length - 1);
    }
  }
  return reasons;
}

/** Per tail (`source#collection`), the watermark of the first applied write that had one. */
function firstWatermarks(writes: readonly AppliedWrite[]): Map<string, number> {
  const first = new Map<string, { version: number; watermark: number }>();
  for (const write of writes) {
    if (write.watermark === undefined) continue;
    const [source, collection, lane] = write.pk.split('#');
    if (lane !== undefined || collection === undefined) continue;
    const tail = `${source}#${collection}`;
    const known = first.get(tail);
    if (!known || write.version < known.version) first.set(tail, { version: write.version, watermark: write.watermark });
  }
  return new Map([...first].map(([tail, { watermark }]) => [tail, watermark]));
}

/**
 * Applied writes per item, in version order: versions 1, 2, 3... with watermark and counters
 * never going down, and within one read (same run, window and query) the position it reached
 * (pages, or contacts for lesson_transcripts) never going back.
 */
export function appliedWriteViolations(writes: readonly AppliedWrite[]): string[] {
  const violations: string[] = [];
  for (const [pk, list] of groupBy(writes, (write) => write.pk)) {
    const sorted = [...list].sort((a, b) => a.version - b.version);
    sorted.forEach((write, index) => {
      const previous = sorted[index - 1];
      if (write.version !== index + 1) violations.push(`${pk}: applied write #${index + 1} has version ${write.version}`);
      if (!previous) return;
      if ((write.watermark ?? -1) < (previous.watermark ?? -1)) violations.push(`${pk}: watermark ${previous.watermark} -> ${write.watermark} at version ${write.version}`);
      if (write.records < previous.records) violations.push(`${pk}: records landed ${previous.records} -> ${write.records} at version ${write.version}`);
      // A new query (reopened after a crash or an expired cursor) counts from its own start.
      const sameRead = write.queryId !== undefined && write.runId === previous.runId && write.window === previous.window && write.queryId === previous.queryId;
      if (sameRead && (write.position ?? 0) < (previous.position ?? 0)) {
        violations.push(`${pk}: position of run ${write.runId} in query ${write.queryId} went ${previous.position} -> ${write.position} at version ${write.version}`);
      }
    });
  }
  return violations;
}

/** The store's acknowledged writes, per item in version order, through the shared checkMonotonic. */
function acknowledgedWriteViolations(writes: readonly Checkpoint[]): string[] {
  const violations: string[] = [];
  for (const list of groupBy(writes, (write) => `${write.source}#${write.collection}#${write.lane ?? ''}`).values()) {
    try {
      checkMonotonic([...list].sort((a, b) => a.version - b.version));
    } catch (error) {
      violations.push((error as Error).message);
    }
  }
  return violations;
}

async function readLandingZone(s3: S3Client, bucket: string): Promise<LandedObject[]> {
  const keys = await listKeys(s3, bucket);
  const objects: LandedObject[] = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const index = next++;
      const key = keys[index]!;
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch((error: unknown) => {
        throw new Error(`reading s3://${bucket}/${key} back failed: ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
      });
      const text = gunzipSync(Buffer.from(await object.Body!.transformToByteArray())).toString('utf8');
      const metadata = object.Metadata ?? {};
      objects[index] = {
        key,
        source: metadata.source ?? '',
        collection: /collection=([a-z_]+)\//.exec(key)![1] as CollectionName,
        run: metadata.run ?? '',
        window: { start: Number(metadata['window-start']), end: Number(metadata['window-end']) },
        generation: Number(metadata.generation),
        range: parseRange(metadata.range ?? ''),
        records: text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as ConveYourRecord),
      };
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return objects;
}

/** `p000012-000015` (pages) or `c3i5-c4i2` (contacts page 3 index 5 to page 4 index 2) as comparable positions. */
export function parseRange(range: string): [number, number] {
  const pages = /^p(\d+)-(\d+)$/.exec(range);
  if (pages) return [Number(pages[1]), Number(pages[2])];
  const contacts = /^c(\d+)i(\d+)-c(\d+)i(\d+)$/.exec(range);
  if (contacts) return [Number(contacts[1]) * 1e6 + Number(contacts[2]), Number(contacts[3]) * 1e6 + Number(contacts[4])];
  throw new Error(`unknown range metadata '${range}'`);
}

async function drainDeadLetters(world: World): Promise<Array<{ id: string; body: string }>> {
  const messages: Array<{ id: string; body: string }> = [];
  for (;;) {
    const { Messages = [] } = await world.directClients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: world.resources.deadLetterQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return messages;
    for (const message of Messages) {
      messages.push({ id: message.MessageId ?? '', body: message.Body ?? '' });
      await world.directClients.sqs.send(new DeleteMessageCommand({ QueueUrl: world.resources.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle! }));
    }
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
