/**
 * GET /api/reports/collectionStream (the eight windowed collections) and
 * GET /api/reports/contactsLessonTranscripts (one contact's lesson transcripts, by con_id):
 * credentials, first pages (open a query: collection, start_time, end_time[, con_id]) and
 * next pages (query_id + cursor, on the report that opened the query). Strict where the
 * original client gives no reason to be kind: transcripts are not a collectionStream
 * collection, and a query's cursor is refused on the other report. An answer is computed
 * first and applied by `commit()`, so a fault can render the very page a request would
 * have got (to truncate it) without opening a query or moving a cursor.
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
export const TRANSCRIPTS_PATH = '/api/reports/contactsLessonTranscripts';
export const REPORT_PATHS: readonly string[] = [API_PATH, TRANSCRIPTS_PATH];

type Report = 'collectionStream' | 'contactsLessonTranscripts';

/** Whether `pathname` is one of the two reports (faults and the rate limit apply to both). */
export function isReportPath(pathname: string): boolean {
  return REPORT_PATHS.includes(pathname);
}

const TRANSCRIPTS: CollectionName = 'lesson_transcripts';
const STREAMED = COLLECTIONS.filter((c) => c !== TRANSCRIPTS);

function reportOf(pathname: string): Report {
  return pathname === TRANSCRIPTS_PATH ? 'contactsLessonTranscripts' : 'collectionStream';
}

function reportServing(collection: CollectionName): Report {
  return collection === TRANSCRIPTS ? 'contactsLessonTranscripts' : 'collectionStream';
}

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
      if (!isReportPath(url.pathname)) throw new ApiError(404, 'not_found', `no such endpoint; the API is GET ${API_PATH} and GET ${TRANSCRIPTS_PATH}`);
      if (method !== 'GET') throw new ApiError(405, 'method_not_allowed', `${url.pathname} only answers GET`, { allow: 'GET' });
      this.authenticate(headers);
      const report = reportOf(url.pathname);
      const params = url.searchParams;
      const queryId = params.get('query_id');
      if (queryId !== null) return this.nextPage(report, queryId, params.get('cursor'));
      if (params.has('cursor')) throw new ApiError(400, 'bad_request', 'cursor needs query_id: next pages send query_id and cursor');
      return this.firstPage(report, params, options.dryRun);
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

  private firstPage(report: Report, params: URLSearchParams, dryRun: boolean): ApiAnswer {
    const collection = report === 'collectionStream' ? streamedCollection(params) : transcriptsCollection(params);
    if (!dryRun) this.deps.catchUpLive();
    const nowMs = this.deps.now();
    const snapshotSec = Math.floor(nowMs / 1000);
    const start = parseTimeParam('start_time', params.get('start_time'), snapshotSec);
    const end = parseTimeParam('end_time', params.get('end_time'), snapshotSec, snapshotSec);
    let versions: Uint32Array;
    if (collection === TRANSCRIPTS) {
      const conId = params.get('con_id') ?? '';
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

  private nextPage(report: Report, queryId: string, cursor: string | null): ApiAnswer {
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
    const opener = reportServing(query.collection);
    if (opener !== report) {
      throw new ApiError(400, 'bad_request', `query_id '${shorten(queryId)}' was opened on ${opener}: send its next pages to /api/reports/${opener}, not ${report}`);
    }
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

/** collectionStream's collection: one of the eight windowed ones; never transcripts, never con_id. */
function streamedCollection(params: URLSearchParams): CollectionName {
  const collection = params.get('collection');
  if (collection === null || collection === '') {
    throw new ApiError(400, 'bad_request', `collection is required for a first page (or query_id and cursor for a next page); collections: ${STREAMED.join(', ')}`);
  }
  if (collection === TRANSCRIPTS) {
    throw new ApiError(400, 'unknown_collection',
      `collection 'lesson_transcripts' is not a collectionStream collection: transcripts are read per contact through GET ${TRANSCRIPTS_PATH} (collection=lesson_transcripts, con_id, start_time, end_time); collectionStream serves: ${STREAMED.join(', ')}`);
  }
  if (!isCollectionName(collection)) {
    throw new ApiError(400, 'unknown_collection', `collection '${shorten(collection)}' does not exist; collectionStream serves: ${STREAMED.join(', ')}, and ${TRANSCRIPTS_PATH} serves lesson_transcripts`);
  }
  if (params.has('con_id')) {
    throw new ApiError(400, 'bad_request', `con_id is not a collectionStream parameter: one contact's transcripts are read through GET ${TRANSCRIPTS_PATH}`);
  }
  return collection;
}

/** contactsLessonTranscripts' collection: lesson_transcripts, with the contact's con_id. */
function transcriptsCollection(params: URLSearchParams): CollectionName {
  const collection = params.get('collection');
  if (collection !== TRANSCRIPTS) {
    const got = collection === null ? 'none' : `'${shorten(collection)}'`;
    throw new ApiError(400, 'unknown_collection', `${TRANSCRIPTS_PATH} serves collection=lesson_transcripts only, got ${got}; the other collections are read through GET ${API_PATH}`);
  }
  if ((params.get('con_id') ?? '') === '') {
    throw new ApiError(400, 'con_id_required', 'lesson_transcripts needs con_id: the _id of the contact whose transcripts to read');
  }
  return TRANSCRIPTS;
}
