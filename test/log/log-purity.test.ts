/**
 * The log's decision logic never touches the world directly (architecture.md §3, simulation.md): only
 * the real-I/O file may use fs, and no file may read a clock, arm a timer or draw randomness, so the
 * simulator can drive MemLog deterministically. The real-I/O file, which the simulator never runs, may time
 * its own writes (a slow synchronous write moves its writes to the thread pool).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const LOG_DIR = join(import.meta.dirname, '..', '..', 'src', 'log');
const REAL_IO_FILES = new Set(['node-log-dir.ts']);
const FORBIDDEN_EVERYWHERE = [
  /\bDate\.now\b/, /\bnew Date\(/, /\bprocess\.hrtime\b/, /\bMath\.random\b/,
  /\bsetTimeout\b/, /\bsetInterval\b/, /\bsetImmediate\b/, /\bqueueMicrotask\b/, /['"]node:(crypto|net|timers)/,
  /['"]node:child_process['"]/,
];
const FORBIDDEN_OUTSIDE_REAL_IO = [/['"](node:)?fs(\/promises)?['"]/, /\bperformance\.now\b/];

test('src/log uses no clock, timer or randomness, and fs and a clock only in node-log-dir.ts', () => {
  const files = readdirSync(LOG_DIR).filter((n) => n.endsWith('.ts'));
  assert.ok(files.length >= 10, `found only ${files.length} files in ${LOG_DIR}`);
  const offences: string[] = [];
  for (const name of files) {
    const source = readFileSync(join(LOG_DIR, name), 'utf8');
    const rules = REAL_IO_FILES.has(name) ? FORBIDDEN_EVERYWHERE : [...FORBIDDEN_EVERYWHERE, ...FORBIDDEN_OUTSIDE_REAL_IO];
    for (const rule of rules) if (rule.test(source)) offences.push(`${name}: ${rule}`);
  }
  assert.deepEqual(offences, []);
  assert.ok(/node:fs/.test(readFileSync(join(LOG_DIR, 'node-log-dir.ts'), 'utf8')), 'the scan must see fs where it is');
});
