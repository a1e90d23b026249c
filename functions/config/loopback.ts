/**
 * Plain http is allowed only to this machine (the simulator, the emulators): anywhere else
 * credentials, secrets and records would cross the network in clear.
 */
const LOOPBACK_NAMES = new Set(['localhost', '[::1]']);

/** `hostname` as `URL.hostname` gives it (IPv6 in brackets). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname.toLowerCase()) || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}
