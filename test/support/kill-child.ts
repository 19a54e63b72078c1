/**
 * The shared shape of the real-process crash tests: run a TypeScript child that prints one line per
 * acknowledged step, SIGKILL it a while after it shows it is working, and hand back the lines it printed
 * whole (a line cut by the kill was never acknowledged).
 */
import { spawn } from 'node:child_process';

export interface KillChildOptions {
  /** The child script and its arguments, run as `node --import tsx <script> ...args`. */
  script: string;
  args: string[];
  /** True once the output shows the child is doing its work; the kill delay starts then. */
  isWorking: (stdout: string) => boolean;
  killDelayMs: number;
  /** Bound on the wait for `isWorking`. */
  workingTimeoutMs: number;
}

export interface KilledChild {
  lines: string[];
  stderr: string;
}

export function runChildUntilKilled(options: KillChildOptions): Promise<KilledChild> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', options.script, ...options.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    const notWorking = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.script} showed no progress in ${options.workingTimeoutMs} ms: ${stderr}`));
    }, options.workingTimeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (killTimer === undefined && options.isWorking(stdout)) {
        clearTimeout(notWorking);
        killTimer = setTimeout(() => child.kill('SIGKILL'), options.killDelayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(notWorking);
      clearTimeout(killTimer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`${options.script} exited by itself (code ${code}): ${stderr}`));
        return;
      }
      resolve({ lines: stdout.split('\n').slice(0, -1), stderr });
    });
  });
}
