/**
 * Fires the tick every interval, as the EventBridge schedule does. Like the real schedule it
 * does not wait for the previous tick: overlapping ticks are the leases' business.
 */
export interface Scheduler {
  stop(): void;
}

export function scheduleEvery(intervalMs: number, fire: () => Promise<void>, onError: (error: unknown) => void): Scheduler {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = () => {
    fire().catch(onError);
    if (!stopped) timer = setTimeout(run, intervalMs);
  };
  run();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
