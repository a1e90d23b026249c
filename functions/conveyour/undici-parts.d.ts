/**
 * Types for the two undici modules the client imports by path, so the bundle carries a Pool
 * and the `request` API instead of undici's whole index (fetch, WebSocket, caches,
 * mocks: about 250 KB and 40 ms of cold start more). Both are the same classes the index
 * exports; these declarations only point at its types.
 */
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  /** undici's `request`, called with a Dispatcher as `this` (the index assigns it to Dispatcher.prototype). */
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export default request;
}
