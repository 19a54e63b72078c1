/**
 * Writes a line to a file descriptor before returning, for the crash-test children whose protocol is "a
 * printed line happened before the next step". stdout to a parent is a pipe that Node may have made
 * non-blocking: when the parent reads slowly (a loaded machine) the pipe fills and a plain writeSync throws
 * EAGAIN or writes part of the line. This retries until every byte is out.
 */
import { writeSync } from 'node:fs';

export function writeLineSync(fd: number, line: string): void {
  const bytes = Buffer.from(line);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      // The parent drains the pipe concurrently; a short wait keeps this from spinning a whole core.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
