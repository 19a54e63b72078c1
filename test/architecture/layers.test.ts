/**
 * The architecture's rules as tests, so they cannot be skipped like a linter (architecture.md §2, §8;
 * simulation.md): layers import only from layers above them, and the decision logic touches time,
 * randomness, files, sockets and the addon only through the named real-I/O implementations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

/** architecture.md §2, top to bottom; a layer may import from its own folder and the ones before it. */
const LAYERS = ['base', 'idl', 'rpc', 'client', 'storage', 'log', 'metastore', 'replica', 'meta', 'sim', 'server', 'shell', 'onebox', 'bench', 'cli'];
/** shell, onebox, bench and the CLI entry are one tier of operator tools. */
const TOOL_TIER = new Set(['shell', 'onebox', 'bench', 'cli']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g)) found.push(match[1]!);
  for (const match of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]!);
  return found;
}

function layerOf(file: string): string {
  return relative(src, file).split(sep)[0]!;
}

function rank(layer: string): number {
  const index = LAYERS.indexOf(layer);
  assert.ok(index >= 0, `src/${layer} is not a layer of architecture.md §2`);
  return TOOL_TIER.has(layer) ? LAYERS.indexOf('shell') : index;
}

const files = sourceFiles(src);

test('there are sources to check', () => {
  assert.ok(files.length > 10);
});

test('every layer imports only from layers above it', () => {
  const violations: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    for (const spec of imports(file)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(src + sep)) {
        violations.push(`${relative(root, file)} imports ${spec}, outside src/`);
        continue;
      }
      const to = layerOf(target);
      if (rank(to) > rank(from)) violations.push(`${relative(root, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(violations, []);
});

/**
 * Decision logic, the seams it runs on, and the simulator that drives it; real I/O only in the named
 * implementations. The simulator is guarded too: one real timer or clock read in it breaks replay by seed.
 */
const GUARDED = ['replica', 'meta', 'log', 'storage', 'rpc', 'sim'];
const REAL_IO = [
  'src/log/node-log-dir.ts', // FileLog's file access
  'src/storage/rocks/', // RocksStore and the addon
  'src/rpc/tcp/', // the TCP transport
];
/**
 * Single rules lifted for single files. The simulator's driver yields to Node's event loop between two
 * events with one setImmediate, so every promise continuation settles first (simulation.md); every other
 * rule still applies to it, and no other file of src/sim/ may do the same.
 */
const ALLOWED_IN_FILE: Record<string, readonly string[]> = {
  'src/sim/sim-loop.ts': ['setImmediate'],
};
const BANNED: Array<[RegExp, string]> = [
  [/\bDate\.now\s*\(/, 'Date.now'],
  [/\bnew Date\s*\(\s*\)/, 'new Date()'],
  [/\bMath\.random\s*\(/, 'Math.random'],
  [/\bsetTimeout\s*\(/, 'setTimeout'],
  [/\bsetInterval\s*\(/, 'setInterval'],
  [/\bsetImmediate\s*\(/, 'setImmediate'],
  [/\bperformance\.now\s*\(/, 'performance.now'],
  [/\bprocess\.hrtime\b/, 'process.hrtime'],
  [/\brandomUUID\s*\(/, 'crypto.randomUUID'],
  [/from\s+['"](node:)?(fs|fs\/promises|net|dgram|http|https|child_process)['"]/, 'real I/O module'],
  [/rocks\/addon\.ts['"]|pegasus_rocksdb/, 'the RocksDB addon'],
];

test('decision logic reaches time, randomness and I/O only through the Env and the named implementations', () => {
  const violations: string[] = [];
  for (const file of files) {
    const rel = relative(root, file).split(sep).join('/');
    if (!GUARDED.includes(layerOf(file))) continue;
    if (REAL_IO.some((allowed) => rel === allowed || (allowed.endsWith('/') && rel.startsWith(allowed)))) continue;
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const allowed = ALLOWED_IN_FILE[rel] ?? [];
    for (const [pattern, what] of BANNED) if (!allowed.includes(what) && pattern.test(text)) violations.push(`${rel} uses ${what}`);
  }
  assert.deepEqual(violations, []);
});

test('each per-file exception names a file that exists and a rule that exists', () => {
  const rules = new Set(BANNED.map(([, what]) => what));
  for (const [rel, allowed] of Object.entries(ALLOWED_IN_FILE)) {
    assert.ok(files.some((file) => relative(root, file).split(sep).join('/') === rel), `${rel} does not exist`);
    for (const what of allowed) assert.ok(rules.has(what), `${rel}: no rule named ${what}`);
  }
});
