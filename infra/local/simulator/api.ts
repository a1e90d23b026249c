/**
 * GET /api/reports/collectionStream: credentials, first pages (open a query: collection,
 * start_time, end_time[, con_id]) and next pages (query_id + cursor). An answer is
 * computed first and applied by `commit()`, so a fault can render the very page a request
 * would have got (to truncate it) without opening a query or moving a cursor.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { COLLECTIONS, isCollectionName, type CollectionName } from '../../../functions/conveyour/collections.js';
import type { Credentials } from '../../../functions/conveyour/types.js';
import { ApiError } from './apiError.js';
import type { CursorCodec } from './cursor.js';
import type { Dataset } from './dataset.js';
import type { OpenQuery, QueryRegistry } from './queries.js';
import { matchTranscripts, matchWindow } from './queryEngine.js';
import type { StatsRecorder } from './stats.js';
import { parseTimeParam } from './time.js';

export const API_PATH = '/api/reports/collectionStream';

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  /** UTF-8 bytes: pages are assembled from per-record buffers (cheaper than one huge string). */
  body: Buffer;
  /** Applies the request's effects: query opened, cursor used, page counted. */
  commit(): void;
}

export interface ApiDependencies {
  dataset: Dataset;
  registry: QueryRegistry;
  codec: CursorCodec;
  stats: StatsRecorder;
  credentials: Credentials;
  pageSize: number;
  queryCap: number;
  now: () => number;
  /** Brings live data up to the clock before a query snapshots it. */
  catchUpLive: () => void;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const NOTHING = (): void => {};
const RESULTS_OPENING = Buffer.from('{"data":{"data":{"results":[');
const COMMA = Buffer.from(',');

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

function shorten(value: string): string {
  return value.length > 60 ? `${value.slice(0, 60)}...` : value;
}

export class CollectionStreamApi {
  private readonly expected: { appkey: Buffer; token: Buffer };

  constructor(private readonly deps: ApiDependencies) {
    this.expected = { appkey: digest(deps.credentials.appkey), token: digest(deps.credentials.token) };
  }

  /** The answer to one request; `dryRun` skips catching up live data (nothing may change). */
  answer(method: string, url: URL, headers: IncomingHttpHeaders, options: { dryRun: boolean }): ApiAnswer {
    try {
      if (url.pathname !== API_PATH) throw new ApiError(404, 'not_found', `no such endpoint; the API is GET ${API_PATH}`);
      if (method !== 'GET') throw new ApiError(405, 'method_not_allowed', `${API_PATH} only answers GET`, { allow: 'GET' });
      this.authenticate(headers);
      const params = url.searchParams;
      const queryId = params.get('query_id');
      if (queryId !== null) return this.nextPage(queryId, params.get('cursor'));
      if (params.has('cursor')) throw new ApiError(400, 'bad_request', 'cursor needs query_id: next pages send query_id and cursor');
      return this.firstPage(params, options.dryRun);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return { status: error.status, headers: { ...JSON_HEADERS, ...error.headers }, body: Buffer.from(error.body()), commit: NOTHING };
    }
  }

  private authenticate(headers: IncomingHttpHeaders): void {
    // Both checked, in constant time, and the answer never says which one was wrong.
    const appkeyOk = timingSafeEqual(digest(header(headers, 'x-conveyour-appkey')), this.expected.appkey);
    const tokenOk = timingSafeEqual(digest(header(headers, 'x-conveyour-token')), this.expected.token);
    if (!(appkeyOk && tokenOk)) {
      throw new ApiError(401, 'invalid_credentials', 'invalid credentials: send a valid x-conveyour-appkey and x-conveyour-token');
    }
  }

  private firstPage(params: URLSearchParams, dryRun: boolean): ApiAnswer {
    const collectionParam = params.get('collection');
    if (collectionParam === null || collectionParam === '') {
      throw new ApiError(400, 'bad_request', `collection is required for a first page (or query_id and cursor for a next page); collections: ${COLLECTIONS.join(', ')}`);
    }
    if (!isCollectionName(collectionParam)) {
      throw new ApiError(400, 'unknown_collection', `collection '${shorten(collectionParam)}' does not exist; valid: ${COLLECTIONS.join(', ')}`);
    }
    const collection: CollectionName = collectionParam;
    if (!dryRun) this.deps.catchUpLive();
    const nowMs = this.deps.now();
    const snapshotSec = Math.floor(nowMs / 1000);
    const start = parseTimeParam('start_time', params.get('start_time'), snapshotSec);
    const end = parseTimeParam('end_time', params.get('end_time'), snapshotSec, snapshotSec);
    let versions: Uint32Array;
    if (collection === 'lesson_transcripts') {
      const conId = params.get('con_id') ?? '';
      if (conId === '') throw new ApiError(400, 'con_id_required', 'lesson_transcripts needs con_id: the _id of the contact whose transcripts to read');
      versions = matchTranscripts(this.deps.dataset, this.deps.dataset.contactIndexOf(conId), snapshotSec);
    } else {
      versions = matchWindow(this.deps.dataset.stores[collection], { start, end }, snapshotSec);
    }
    // The real API silently stops at its cap; so do we.
    if (versions.length > this.deps.queryCap) versions = versions.slice(0, this.deps.queryCap);
    const query: OpenQuery = { id: this.deps.registry.nextId(snapshotSec), collection, versions, snapshotSec, lastUsedMs: nowMs };
    return this.page(query, 0, () => {
      this.deps.registry.add(query, nowMs);
      this.deps.stats.queriesOpened++;
    });
  }

  private nextPage(queryId: string, cursor: string | null): ApiAnswer {
    if (cursor === null || cursor === '') throw new ApiError(400, 'bad_request', 'query_id needs cursor: send the next_cursor of the previous page');
    const nowMs = this.deps.now();
    const lookup = this.deps.registry.lookup(queryId, nowMs);
    if (lookup.state === 'unknown') {
      throw new ApiError(404, 'query_not_found', `query_id '${shorten(queryId)}' is unknown (never opened here, or the simulator restarted): open a new query`);
    }
    if (lookup.state === 'expired') {
      const error = new ApiError(410, 'cursor_expired', `query_id '${shorten(queryId)}' expired after being idle too long: open a new query from the window's start`);
      return { status: 410, headers: JSON_HEADERS, body: Buffer.from(error.body()), commit: () => this.deps.registry.expire(queryId, nowMs) };
    }
    const { query } = lookup;
    const target = this.deps.codec.decode(cursor);
    if (target === undefined || target.queryId !== queryId || target.offset <= 0 || target.offset >= query.versions.length) {
      throw new ApiError(400, 'bad_request', `cursor is not a cursor of query_id '${shorten(queryId)}': send next_cursor unchanged`);
    }
    return this.page(query, target.offset, () => this.deps.registry.touch(query, nowMs));
  }

  private page(query: OpenQuery, offset: number, effects: () => void): ApiAnswer {
    const end = Math.min(offset + this.deps.pageSize, query.versions.length);
    const parts: Buffer[] = [RESULTS_OPENING];
    for (let i = offset; i < end; i++) {
      if (i > offset) parts.push(COMMA);
      parts.push(Buffer.from(this.deps.dataset.recordJson(query.collection, query.versions[i] as number), 'utf8'));
    }
    const pagination = end < query.versions.length ? `{"next_cursor":${JSON.stringify(this.deps.codec.encode({ queryId: query.id, offset: end }))}}` : '{}';
    parts.push(Buffer.from(`],"query_id":${JSON.stringify(query.id)},"pagination":${pagination}}}}`, 'utf8'));
    return {
      status: 200,
      headers: JSON_HEADERS,
      body: Buffer.concat(parts),
      commit: () => {
        effects();
        this.deps.stats.pagesServed++;
      },
    };
  }
}
