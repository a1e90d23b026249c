/**
 * A counting semaphore: at most `size` holders at once, the rest served in arrival order.
 * A tick peeks at every collection at once but lets only a few page at the same time, so
 * an idle tick lasts one round trip instead of one per group of collections.
 */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots must be an integer >= 1, got ${String(size)}`);
    this.free = size;
  }

  /** Resolves once a slot is held; call the returned function (once or more: later calls do nothing) to give it back. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    };
  }
}
