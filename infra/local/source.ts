/**
 * Which ConveYour every local command reads: the account in .env or the environment when
 * CONVEYOUR_APPKEY and CONVEYOUR_TOKEN are set (with CONVEYOUR_DOMAIN or CONVEYOUR_BASE_URL),
 * else the embedded simulator. One rule, so `npm run backfill` never fills a real account's
 * data dir with simulated history.
 */
import { optionalString, type Env } from '../../functions/config/env.js';
import { clientOptionsFromEnv } from '../../functions/conveyour/client.js';

export interface LocalSource {
  /** Undefined: the simulator. */
  conveyour: { baseUrl: string; appkey: string; token: string } | undefined;
}

/** @throws ConfigError naming the variable, when the account settings are incomplete or invalid. */
export function localSource(env: Env): LocalSource {
  if (!optionalString(env, 'CONVEYOUR_APPKEY') || !optionalString(env, 'CONVEYOUR_TOKEN')) return { conveyour: undefined };
  const fromEnv = clientOptionsFromEnv(env);
  return { conveyour: { baseUrl: fromEnv.baseUrl, ...fromEnv.credentials } };
}
