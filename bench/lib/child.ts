/**
 * Benchmark parts that must not share a process: the simulator and the emulators run in
 * their own Node processes so their CPU and memory are not counted as the pipeline's, and
 * each memory case lands in a fresh process so its peak RSS is its own.
 *
 * A child is a TypeScript module run through tsx with an IPC channel: it announces itself
 * with `ready`, then answers `call`s until told to `close`.
 *
 *   const sim = await startChild<SimulatorReady>('bench/hosts/simulatorHost.ts', [JSON.stringify(options)]);
 *   const stats = await sim.call('stats');
 *   await sim.close();
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Message =
  | { type: 'ready'; value: unknown }
  | { type: 'reply'; id: number; value?: unknown; error?: string }
  | { type: 'fatal'; error: string };

export interface Child<Ready> {
  ready: Ready;
  pid: number;
  call<T = unknown>(method: string, params?: unknown): Promise<T>;
  /** Asks the child to close what it started and exit; kills it if it has not exited after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export interface ChildOptions {
  /** Extra Node flags, e.g. `--max-old-space-size=896`. */
  execArgv?: string[];
  env?: Record<string, string>;
  /** Forward the child's stderr (default true: a crash must be visible). */
  stderr?: boolean;
}

/** Forks `entry` (a path from the repository root) under tsx and waits for its `ready` message. */
export async function startChild<Ready>(entry: string, args: string[] = [], options: ChildOptions = {}): Promise<Child<Ready>> {
  const child = fork(entry, args, {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx', '--no-warnings', ...(options.execArgv ?? [])],
    env: { ...process.env, TZ: 'UTC', ...options.env },
    stdio: ['ignore', 'ignore', options.stderr === false ? 'ignore' : 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failAll = (error: Error) => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  child.once('exit', (code, signal) => failAll(new Error(`${entry} exited (code ${code}, signal ${signal})`)));

  const ready = await new Promise<Ready>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${entry} exited with code ${code} before it was ready`));
    child.once('exit', onExit);
    child.on('message', (raw) => {
      const message = raw as Message;
      if (message.type === 'ready') {
        child.off('exit', onExit);
        resolve(message.value as Ready);
      } else if (message.type === 'fatal') {
        reject(new Error(`${entry}: ${message.error}`));
      } else if (message.type === 'reply') {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(`${entry}: ${message.error}`));
        else waiter?.resolve(message.value);
      }
    });
  });

  return {
    ready,
    pid: child.pid!,
    call<T>(method: string, params?: unknown) {
      return new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ type: 'call', id, method, params });
      });
    },
    async close(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'call', id: 0, method: 'close' });
      const timer = setTimeout(() => killChild(child), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function killChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * The child's side: announce `ready`, answer calls with `handlers`, and on `close` run
 * `onClose` and exit. A handler's error goes back to the caller as the call's rejection.
 */
export function serve(ready: unknown, handlers: Record<string, (params: any) => unknown>, onClose: () => Promise<void>): void {
  if (!process.send) throw new Error('this module is a benchmark child: start it with startChild()');
  process.on('message', (raw) => {
    const message = raw as { type: 'call'; id: number; method: string; params: unknown };
    if (message.type !== 'call') return;
    if (message.method === 'close') {
      void onClose().finally(() => process.exit(0));
      return;
    }
    const handler = handlers[message.method];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown method '${message.method}'`);
        return handler(message.params);
      })
      .then(
        (value) => process.send!({ type: 'reply', id: message.id, value }),
        (error: unknown) => process.send!({ type: 'reply', id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  // The parent went away (crash, Ctrl-C): do not linger.
  process.on('disconnect', () => void onClose().finally(() => process.exit(0)));
  process.send({ type: 'ready', value: ready });
}

/** Reports a start-up failure to the parent and exits. */
export function failStart(error: unknown): never {
  process.send?.({ type: 'fatal', error: error instanceof Error ? error.stack ?? error.message : String(error) });
  process.exit(1);
}
