/** An ObjectSink in memory: keeps every PUT, decodes bodies back to records for assertions. */
import { gunzipSync } from 'node:zlib';
import type { ConveYourRecord } from '../../functions/conveyour/types.js';
import type { LandingObject } from '../../functions/pipeline/landing.js';
import type { ObjectSink } from '../../functions/pipeline/ports.js';

export class MemorySink implements ObjectSink {
  readonly objects = new Map<string, LandingObject>();
  readonly puts: string[] = [];
  failNextPut: ((object: LandingObject) => Error | undefined) | undefined;

  async put(object: LandingObject): Promise<void> {
    const error = this.failNextPut?.(object);
    if (error) throw error;
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
