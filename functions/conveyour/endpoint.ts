/**
 * Where the client connects and with which credentials: the base URL (from
 * CONVEYOUR_DOMAIN or CONVEYOUR_BASE_URL) checked so a typo fails at start with a message
 * saying what to write, instead of as a confusing HTTP error later.
 */
import { ConfigError, type Env, optionalString } from '../config/env.js';
import { isLoopbackHost } from '../config/loopback.js';
import type { Credentials } from './types.js';

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i;

/**
 * Reads CONVEYOUR_BASE_URL or CONVEYOUR_DOMAIN (-> https://{domain}), CONVEYOUR_APPKEY and
 * CONVEYOUR_TOKEN; throws one ConfigError naming every missing variable.
 */
export function clientOptionsFromEnv(env: Env): { baseUrl: string; credentials: Credentials } {
  const baseUrl = optionalString(env, 'CONVEYOUR_BASE_URL');
  const domain = optionalString(env, 'CONVEYOUR_DOMAIN');
  const appkey = optionalString(env, 'CONVEYOUR_APPKEY');
  const token = optionalString(env, 'CONVEYOUR_TOKEN');
  const missing = [
    ...(baseUrl === undefined && domain === undefined ? ['CONVEYOUR_DOMAIN (or CONVEYOUR_BASE_URL)'] : []),
    ...(appkey === undefined ? ['CONVEYOUR_APPKEY'] : []),
    ...(token === undefined ? ['CONVEYOUR_TOKEN'] : []),
  ];
  if (missing.length > 0 || appkey === undefined || token === undefined) {
    throw new ConfigError(
      missing.join(', '),
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required: set ${missing.length === 1 ? 'it' : 'them'} in .env or the environment (see .env.example)`,
    );
  }
  return {
    baseUrl: baseUrl !== undefined ? normalizeBaseUrl(baseUrl, 'CONVEYOUR_BASE_URL') : baseUrlFromDomain(domain ?? ''),
    credentials: { appkey, token },
  };
}

/** `yourdomain.conveyour.com` -> `https://yourdomain.conveyour.com`; rejects schemes and paths. */
export function baseUrlFromDomain(domain: string, inputName = 'CONVEYOUR_DOMAIN'): string {
  const value = domain.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme) {
    const host = value.slice(scheme[0].length).split('/')[0] ?? '';
    throw new ConfigError(
      inputName,
      `${inputName} must be a bare host name without '${scheme[0]}': write ${inputName}=${host} (or set CONVEYOUR_BASE_URL to a full URL instead)`,
    );
  }
  if (value.includes('/')) {
    throw new ConfigError(inputName, `${inputName} must be a bare host name without a path: write ${inputName}=${value.split('/')[0] ?? ''}`);
  }
  if (!HOST_NAME.test(value)) {
    throw new ConfigError(inputName, `${inputName} must be a host name such as yourdomain.conveyour.com, got '${value}'`);
  }
  return `https://${value.toLowerCase()}`;
}

/**
 * Checks a full base URL and returns its origin. Plain http is accepted only for a
 * loopback host (the simulator): anywhere else the token would cross the network in clear.
 */
export function normalizeBaseUrl(raw: string, inputName = 'baseUrl'): string {
  const example = `such as https://yourdomain.conveyour.com or http://127.0.0.1:8787`;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError(inputName, `${inputName} must be a URL ${example}, got '${raw}'`);
  }
  if (url.username || url.password) {
    throw new ConfigError(inputName, `${inputName} must not contain a user or password; credentials go in CONVEYOUR_APPKEY / CONVEYOUR_TOKEN`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(inputName, `${inputName} must use https:// (or http:// for 127.0.0.1), got '${url.protocol}'`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new ConfigError(inputName, `${inputName} must be an origin without a path or query: write ${url.origin}`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(inputName, `${inputName} must use https:// for a non-local host: write https://${url.host}`);
  }
  return url.origin;
}
