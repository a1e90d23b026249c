/**
 * One ConveYour client per source, built on first use from the source's credentials and cached
 * for the container's life. A source whose credentials cannot be read (a secret not yet set, or
 * denied) is not cached: it runs as unavailable (each of its collections fails with the reason)
 * and the next invocation reads its secret again; it never stops the other sources.
 */
import type { Credentials, PageSource } from '../conveyour/types.js';
import { describeError } from '../pipeline/errors.js';
import type { SourceRuntime } from '../pipeline/orchestrate.js';
import type { Log } from '../pipeline/ports.js';
import { unavailableSource } from '../pipeline/unavailableSource.js';
import type { SourceConfig } from './config.js';

export class SourcePages {
  private readonly built = new Map<string, Promise<PageSource>>();

  constructor(
    private readonly credentialsOf: (source: SourceConfig) => Promise<Credentials>,
    private readonly build: (source: SourceConfig, credentials: Credentials) => PageSource,
    private readonly log: Log,
  ) {}

  /** Every source with its pages, as one invocation sees them. */
  sources(sources: readonly SourceConfig[]): Promise<SourceRuntime[]> {
    return Promise.all(sources.map(async (source) => ({ name: source.name, collections: source.collections, pages: await this.of(source) })));
  }

  of(source: SourceConfig): Promise<PageSource> {
    let client = this.built.get(source.name);
    if (!client) {
      client = this.credentialsOf(source).then((credentials) => this.build(source, credentials));
      this.built.set(source.name, client);
      client.catch(() => {
        if (this.built.get(source.name) === client) this.built.delete(source.name);
      });
    }
    return client.catch((error: unknown) => {
      this.log.error('source unavailable: its credentials could not be read; its collections fail until they can', { source: source.name, error: describeError(error) });
      return unavailableSource(error);
    });
  }
}
