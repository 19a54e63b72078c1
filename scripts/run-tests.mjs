#!/usr/bin/env node
// Lists the test files explicitly (Node 20's --test does not expand ** globs), runs them with node:test
// through tsx, and fails when no test ran or when any test was skipped or left as todo: a skipped test
// is not a passing one.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = ['src', 'test'];
const filter = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

let files = roots.flatMap((r) => walk(join(root, r), []));
if (filter.length > 0) files = files.filter((f) => filter.some((p) => f.includes(p)));
files.sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

const tapDir = mkdtempSync(join(tmpdir(), 'pegasus-tests-'));
const tapFile = join(tapDir, 'report.tap');
const args = [
  '--import', 'tsx', '--test',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
  ...files,
];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => {
  const tap = readFileSync(tapFile, 'utf8');
  rmSync(tapDir, { recursive: true, force: true });
  const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  const tests = count('tests');
  const skipped = count('skipped');
  const todo = count('todo');
  if (code !== 0 || signal) process.exit(code ?? 1);
  if (tests === 0) {
    console.error('run-tests: the runner executed no test');
    process.exit(1);
  }
  if (skipped > 0 || todo > 0) {
    console.error(`run-tests: ${skipped} skipped and ${todo} todo tests: every test must run`);
    process.exit(1);
  }
});
