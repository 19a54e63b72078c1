#!/usr/bin/env node
// Builds the native RocksDB addon (native/ -> native/build/Release/pegasus_rocksdb.node) with npm's
// node-gyp. Run by `npm install` (the install script) and `npm run build:native`.
// Quiet on success; on failure it prints node-gyp's full output and says what is needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const verbose = process.argv.includes('--verbose');

// npm's bundled node-gyp: npm exports its path to scripts as npm_config_node_gyp. Outside npm, look
// for it next to npm (npm_execpath, or the npm installed beside this node), else `npx node-gyp`.
function nodeGypCommand() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  candidates.push(
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  for (const file of candidates) {
    if (file && existsSync(file)) return { cmd: process.execPath, args: [file] };
  }
  return { cmd: process.platform === 'win32' ? 'npx.cmd' : 'npx', args: ['node-gyp'] };
}

const { cmd, args } = nodeGypCommand();
args.push('rebuild', `--directory=${join(root, 'native')}`, '--jobs=2');
// Build against this machine's Node headers instead of downloading them (not possible offline).
if (existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
if (!verbose) args.push('--loglevel=warn');

const started = Date.now();
const result = spawnSync(cmd, args, {
  cwd: root,
  encoding: 'utf8',
  stdio: verbose ? 'inherit' : 'pipe',
  maxBuffer: 64 * 1024 * 1024,
});
if (result.error || result.status !== 0) {
  if (!verbose) {
    process.stderr.write(result.stdout ?? '');
    process.stderr.write(result.stderr ?? '');
  }
  if (result.error) console.error(`pegasus-ts: could not run node-gyp: ${result.error.message}`);
  console.error(
    'pegasus-ts: building the native RocksDB addon failed; it needs librocksdb-dev ' +
      '(apt-get install librocksdb-dev), g++, make and python3',
  );
  process.exit(result.status || 1);
}
if (verbose) console.log(`pegasus-ts: native addon built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
