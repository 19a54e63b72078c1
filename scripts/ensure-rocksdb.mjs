#!/usr/bin/env node
// Runs before `npm install` builds the native addon: the addon links against Debian's librocksdb-dev.
// If its headers are missing, install the package where we can (root with apt-get, saying so), otherwise
// stop with one line that says what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const header = '/usr/include/rocksdb/db.h';
if (existsSync(header)) process.exit(0);

const hasAptGet = ['/usr/bin/apt-get', '/bin/apt-get'].some((p) => existsSync(p));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!hasAptGet || !isRoot) {
  console.error(
    'pegasus-ts: RocksDB headers not found; install them first: sudo apt-get install -y librocksdb-dev',
  );
  process.exit(1);
}
console.error('pegasus-ts: installing librocksdb-dev with apt-get (the native storage addon needs it)');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'librocksdb-dev'], {
  stdio: 'inherit',
  env,
});
if (!existsSync(header)) {
  console.error(`pegasus-ts: apt-get finished but ${header} is still missing`);
  process.exit(1);
}
