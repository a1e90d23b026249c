/**
 * Keeps credentials out of everything the client lets escape: error messages, kept
 * headers, causes and events. The client knows the secret values, so besides dropping
 * credential-like header names it also masks the literal values wherever they appear
 * (a proxy or server that echoes a request header back must not leak it through us).
 */
import type { Credentials } from './types.js';

const MASK = '[redacted]';

/** Header names never kept, whatever their value. */
const SENSITIVE_HEADER = /^(x-conveyour-|authorization$|proxy-authorization$|cookie$|set-cookie$|x-api-key$|x-amz-security-token$)|token|secret|password|session/i;

/** Replaces every occurrence of a secret value (appkey, token) in `text`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would mask ordinary words; real appkeys/tokens are long.
    if (secret.length >= 4) out = out.split(secret).join(MASK);
  }
  return out;
}

/** The values to mask: the appkey and the token. */
export function secretsOf(credentials: Credentials): string[] {
  return [credentials.appkey, credentials.token].filter((s) => typeof s === 'string' && s !== '');
}

/** Response headers worth keeping on an error, minus anything credential-like. */
export function safeHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  secrets: readonly string[],
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || SENSITIVE_HEADER.test(name)) continue;
    kept[name.toLowerCase()] = redactText(Array.isArray(value) ? value.join(', ') : value, secrets);
  }
  return kept;
}

/**
 * A plain copy of a foreign error (undici, node:net) with the secrets masked, for use as
 * a `cause`. Foreign errors can carry request details: undici's MockNotMatchedError, for
 * one, prints the request headers in its message.
 */
export function sanitizedCause(error: unknown, secrets: readonly string[]): Error {
  if (!(error instanceof Error)) return new Error(redactText(String(error), secrets));
  const copy = new Error(redactText(error.message, secrets));
  copy.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  if (error.cause !== undefined) Object.assign(copy, { cause: sanitizedCause(error.cause, secrets) });
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}
