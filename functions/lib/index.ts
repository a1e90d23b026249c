/**
 * The package's library API: `import { stream, lessonTranscripts, records } from
 * 'conveyour-collection-stream'`. `stream` and `lessonTranscripts` take the original client's
 * config (credentials, params, callback, watch, interval, debug, onComplete); `records` is the
 * same read as an async iterator. The client and batch stream are here too, for code that
 * wants pages, resumable cursors or its own connection pool.
 */
export { stream, lessonTranscripts } from './stream.js';
export { records } from './records.js';
export type {
  LibraryCredentials,
  ReadConfig,
  StreamConfig,
  StreamParams,
  StreamResult,
  TranscriptParams,
  TranscriptRecord,
} from './options.js';
export { DEFAULT_INTERVAL_MS } from './options.js';

export { ConveYourClient, type ClientOptions, type RequestEvent, type RetryPolicy } from '../conveyour/client.js';
export { streamCollection, type RecordBatch, type StreamOptions } from '../conveyour/stream.js';
export { COLLECTIONS, type CollectionName, UnknownCollectionError } from '../conveyour/collections.js';
export type { ConveYourRecord, Credentials, CursorPosition, Page, PageSource, QuerySpec, QueryWindow, UnixSeconds } from '../conveyour/types.js';
export {
  ConveYourError,
  AuthError,
  BadRequestError,
  CursorExpiredError,
  MalformedResponseError,
  NetworkError,
  RetriableStatusError,
  RetriesExhaustedError,
  StalledCursorError,
  UnexpectedStatusError,
} from '../conveyour/errors.js';
export { ConfigError } from '../config/env.js';
/** The base of every error above: `code` (stable), `retriable`, and the standard `cause`. */
export { CodedError } from '../errors/coded.js';
export { createRequestPacer, type PacerOptions, type RequestPacer } from '../conveyour/pacer.js';
export { resolveWindow, resolveTime } from '../time/timeExpression.js';
export { TimeError, InvalidTimeError, EmptyWindowError, MillisecondsTimeError } from '../time/errors.js';
