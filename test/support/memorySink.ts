/**
 * An ObjectSink in memory: keeps every PUT, decodes bodies back to records for assertions.
 *
 * Write-once mode holds the pipeline to the landing zone's contract (Snowpipe loads a file name
 * once): a key may be PUT again only with the very body it first held. A PUT with another body is
 * recorded in `rewrites` and refused with KeyRewrittenError, so the run fails loudly too.
 */
import { gunzipSync } from 'node:zlib';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import type { LandingObject } from '../../functions/pipeline/landing.js';
import type { ObjectSink } from '../../functions/pipeline/ports.js';

export class KeyRewrittenError extends Error {
  override name = 'KeyRewrittenError';
}

export interface Rewrite {
  key: string;
  first: ConveYourRecord[];
  later: ConveYourRecord[];
}

export class MemorySink implements ObjectSink {
  readonly objects = new Map<string, LandingObject>();
  readonly puts: string[] = [];
  /** Write-once mode: every PUT of a known key with another body. */
  readonly rewrites: Rewrite[] = [];
  failNextPut: ((object: LandingObject) => Error | undefined) | undefined;
  private readonly firstBodies = new Map<string, Buffer>();

  constructor(private readonly options: { writeOnce?: boolean } = {}) {}

  async put(object: LandingObject): Promise<void> {
    const error = this.failNextPut?.(object);
    if (error) throw error;
    if (this.options.writeOnce) {
      const first = this.firstBodies.get(object.key);
      if (first && !first.equals(object.body)) {
        this.rewrites.push({ key: object.key, first: decode(first), later: decode(object.body) });
        throw new KeyRewrittenError(`${object.key} was PUT again with other records`);
      }
      if (!first) this.firstBodies.set(object.key, object.body);
    }
    this.objects.set(object.key, object);
    this.puts.push(object.key);
  }

  records(): ConveYourRecord[] {
    return [...this.objects.values()].flatMap((object) => decode(object.body));
  }
}

export function decode(body: Buffer): ConveYourRecord[] {
  return gunzipSync(body)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ConveYourRecord);
}
