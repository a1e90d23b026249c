import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { LineWriter } from '../../functions/cli/output.js';

/** A stdout whose reader has gone after `accepted` writes, as `| head -1` leaves it. */
function closedAfter(accepted: number, code = 'EPIPE') {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (written.length >= accepted) return callback(Object.assign(new Error(`write ${code}`), { code }));
      written.push(chunk.toString());
      callback();
    },
  });
  return { stream, written };
}

/** Lets the stream's asynchronous 'error' event fire. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LineWriter on a closed pipe', () => {
  it('marks itself closed and calls onClosed once when the reader has gone', async () => {
    // Prepare
    const { stream, written } = closedAfter(1);
    const onClosed = vi.fn();
    const writer = new LineWriter(stream, onClosed);

    // Act
    await writer.write('one\n');
    await writer.write('two\n');
    await settle();
    await writer.write('three\n');
    await settle();

    // Assess
    expect(written).toEqual(['one\n']);
    expect(writer.closed).toBe(true);
    expect(onClosed).toHaveBeenCalledTimes(1);
  });

  it('drops writes after the close without throwing', async () => {
    const { stream } = closedAfter(0);
    const writer = new LineWriter(stream, () => {});
    await writer.write('lost\n');
    await settle();
    await expect(writer.write('also lost\n')).resolves.toBeUndefined();
  });

  it('fails the run on any other write error, such as a full disk', async () => {
    const { stream } = closedAfter(0, 'ENOSPC');
    const onClosed = vi.fn();
    const writer = new LineWriter(stream, onClosed);
    await expect(writer.write('one\n')).rejects.toThrow('cannot write to stdout: write ENOSPC');
    expect(onClosed).not.toHaveBeenCalled();
  });
});

describe('LineWriter backpressure', () => {
  it('waits for drain when the stream asks it to', async () => {
    // Prepare: a stream that holds each chunk until released.
    const pending: Array<() => void> = [];
    const stream = new Writable({
      highWaterMark: 4,
      write(_chunk, _encoding, callback) {
        pending.push(callback);
      },
    });
    const writer = new LineWriter(stream, () => {});

    // Act
    let resolved = false;
    const write = writer.write('0123456789\n').then(() => {
      resolved = true;
    });
    await settle();

    // Assess
    expect(resolved).toBe(false);
    pending.shift()?.();
    await write;
    expect(resolved).toBe(true);
  });
});
