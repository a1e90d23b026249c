/** Every local command reads the ConveYour npm start reads: the account when .env names one, else the simulator. */
import { describe, expect, it } from 'vitest';
import { localSource } from '../../infra/local/source.js';

describe('localSource', () => {
  it('reads the account named by CONVEYOUR_* (npm run backfill used to read the simulator regardless)', () => {
    expect(localSource({ CONVEYOUR_DOMAIN: 'acme.conveyour.com', CONVEYOUR_APPKEY: 'ak', CONVEYOUR_TOKEN: 'tk' }).conveyour).toEqual({ baseUrl: 'https://acme.conveyour.com', appkey: 'ak', token: 'tk' });
  });
  it('reads the simulator without credentials', () => {
    expect(localSource({ CONVEYOUR_DOMAIN: 'acme.conveyour.com' }).conveyour).toBeUndefined();
  });
  it('names the variable when the account is incomplete', () => {
    expect(() => localSource({ CONVEYOUR_APPKEY: 'ak', CONVEYOUR_TOKEN: 'tk' })).toThrow(/CONVEYOUR_(DOMAIN|BASE_URL)/);
  });
});
