import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/config/env.js';
import { clientOptionsFromEnv } from '../../functions/conveyour/client.js';
import { baseUrlFromDomain, normalizeBaseUrl } from '../../functions/conveyour/endpoint.js';

const credentials = { CONVEYOUR_APPKEY: 'k'.repeat(8), CONVEYOUR_TOKEN: 't'.repeat(8) };

describe('clientOptionsFromEnv', () => {
  it('builds https://{domain} from CONVEYOUR_DOMAIN', () => {
    const options = clientOptionsFromEnv({ ...credentials, CONVEYOUR_DOMAIN: 'acme.conveyour.com' });
    expect(options).toEqual({ baseUrl: 'https://acme.conveyour.com', credentials: { appkey: 'kkkkkkkk', token: 'tttttttt' } });
  });

  it('lets CONVEYOUR_BASE_URL override CONVEYOUR_DOMAIN', () => {
    const options = clientOptionsFromEnv({ ...credentials, CONVEYOUR_DOMAIN: 'acme.conveyour.com', CONVEYOUR_BASE_URL: 'http://127.0.0.1:8787' });
    expect(options.baseUrl).toBe('http://127.0.0.1:8787');
  });

  it('names every missing variable in one ConfigError', () => {
    const act = () => clientOptionsFromEnv({ CONVEYOUR_APPKEY: ' ' });
    expect(act).toThrow(ConfigError);
    expect(act).toThrow('CONVEYOUR_DOMAIN (or CONVEYOUR_BASE_URL), CONVEYOUR_APPKEY, CONVEYOUR_TOKEN are required');
  });

  it('says what to write when the domain carries a scheme', () => {
    const act = () => clientOptionsFromEnv({ ...credentials, CONVEYOUR_DOMAIN: 'https://acme.conveyour.com/' });
    expect(act).toThrow("write CONVEYOUR_DOMAIN=acme.conveyour.com");
  });

  it('never puts a credential into its error', () => {
    const act = () => clientOptionsFromEnv({ CONVEYOUR_DOMAIN: 'acme.conveyour.com', CONVEYOUR_APPKEY: 'appkey-SECRET-1234' });
    expect(act).toThrow('CONVEYOUR_TOKEN is required');
    expect(act).not.toThrow(/appkey-SECRET/);
  });
});

describe('baseUrlFromDomain', () => {
  it('says what to write when the domain carries a path', () => {
    expect(() => baseUrlFromDomain('acme.conveyour.com/api')).toThrow('write CONVEYOUR_DOMAIN=acme.conveyour.com');
  });

  it('rejects something that is not a host name', () => {
    expect(() => baseUrlFromDomain('acme conveyour')).toThrow(/must be a host name such as yourdomain\.conveyour\.com/);
  });
});

describe('normalizeBaseUrl', () => {
  it('returns the origin of a URL without path', () => {
    expect(normalizeBaseUrl('https://acme.conveyour.com/')).toBe('https://acme.conveyour.com');
  });

  it('rejects a path and says which origin to write', () => {
    expect(() => normalizeBaseUrl('https://acme.conveyour.com/api/reports', 'CONVEYOUR_BASE_URL')).toThrow(
      'CONVEYOUR_BASE_URL must be an origin without a path or query: write https://acme.conveyour.com',
    );
  });

  it('accepts plain http only for a loopback host, where the simulator runs', () => {
    expect(normalizeBaseUrl('http://localhost:9000')).toBe('http://localhost:9000');
    expect(() => normalizeBaseUrl('http://acme.conveyour.com')).toThrow('write https://acme.conveyour.com');
  });

  it('rejects credentials in the URL without echoing them', () => {
    const act = () => normalizeBaseUrl('https://user:hunter2@acme.conveyour.com');
    expect(act).toThrow(/must not contain a user or password/);
    expect(act).not.toThrow(/hunter2/);
  });

  it('rejects a scheme other than http(s)', () => {
    expect(() => normalizeBaseUrl('ftp://acme.conveyour.com')).toThrow(/must use https:\/\//);
  });
});
