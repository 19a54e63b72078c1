/**
 * `pegasus onebox run` (`npm start`): the same cluster as `start`, in the foreground. Children's logs go to
 * the terminal prefixed by role (and to each role's pegasus.log, as with `start`); `up` is said once every
 * server answers and `healthy` once every partition has a primary and all its replicas; a child that dies is
 * reported; Ctrl-C, SIGTERM or a closed terminal stop every child — replica servers first, then the meta —
 * and the command returns once all have exited. A second Ctrl-C kills at once.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isPegasusError } from '../base/error-code.ts';
import { logPathOf, removePid, writeLayout } from './onebox-layout.ts';
import { createLineFormatter } from './onebox-log-lines.ts';
import type { OneboxPlan, OneboxRole } from './onebox-plan.ts';
import { STOP_GRACE_MS } from './onebox-processes.ts';
import { waitHealthy, waitMetaAnswers, waitReplicasAnswer } from './onebox-readiness.ts';
import { describePlan, metaPortOf, refuseIfRunning, replicaPortsOf, spawnRole } from './onebox-spawn.ts';
import { HEALTHY_TIMEOUT_MS, META_ANSWER_TIMEOUT_MS, healthyText } from './onebox-start.ts';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

interface Running {
  readonly role: OneboxRole;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  done: boolean;
  readonly log: WriteStream;
}

function say(text: string): void {
  process.stderr.write(`onebox | ${text}\n`);
}

/** SIGTERM, wait up to the grace, then SIGKILL; resolves when the child has exited. */
async function stopChild(running: Running, graceMs: number): Promise<void> {
  if (running.done) return;
  running.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      if (!running.done) say(`${running.role.name} did not stop within ${graceMs} ms: SIGKILL`);
      running.child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([running.exited, late]);
  clearTimeout(timer);
  await running.exited;
}

/** Returns the exit code: 0 after a requested stop, 1 when the cluster could not start or every child died. */
export async function runOnebox(plan: OneboxPlan): Promise<number> {
  refuseIfRunning(plan);
  writeLayout(plan);
  const tty = process.stdout.isTTY === true;
  const format = createLineFormatter({ pretty: tty, colour: tty && process.env.NO_COLOR === undefined, roles: plan.roles.map((r) => r.name) });
  let stopping = false;
  let resolveAllDown: () => void = () => undefined;
  const allDown = new Promise<void>((resolve) => (resolveAllDown = resolve));
  const children: Running[] = [];

  for (const role of plan.roles) {
    // Own process group: a terminal's Ctrl-C reaches only this process, which then stops the roles in order.
    const child = spawnRole(plan, role, ['ignore', 'pipe', 'pipe'], true);
    const log = createWriteStream(logPathOf(plan.dir, role), { flags: 'a' });
    const running: Running = {
      role,
      child,
      log,
      done: false,
      exited: new Promise<void>((resolve) =>
        child.once('exit', (code, signal) => {
          running.done = true;
          removePid(plan.dir, role);
          if (!stopping) say(`${role.name} (pid ${child.pid}) died: ${signal === null ? `exit code ${code}` : signal}; see ${logPathOf(plan.dir, role)}`);
          if (children.every((c) => c.done)) resolveAllDown();
          resolve();
        }),
      ),
    };
    children.push(running);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      stream.pipe(log, { end: false });
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => process.stdout.write(`${format(role.name, line)}\n`));
    }
  }

  let forced = false;
  const beginStop = (reason: string): void => {
    stopping = true;
    say(`${reason}: stopping the onebox`);
    void (async () => {
      await Promise.all(children.filter((c) => c.role.kind === 'replica').map((c) => stopChild(c, STOP_GRACE_MS)));
      await Promise.all(children.filter((c) => c.role.kind === 'meta').map((c) => stopChild(c, STOP_GRACE_MS)));
    })();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stopping) return beginStop(signal);
    if (forced) return;
    forced = true;
    say(`${signal} again: killing every role`);
    for (const c of children) if (!c.done) c.child.kill('SIGKILL');
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);

  try {
    let ready = false;
    let startFailed = false;
    void (async () => {
      try {
        const allAlive = () => !stopping && !children.some((c) => c.done);
        await waitMetaAnswers(metaPortOf(plan), META_ANSWER_TIMEOUT_MS, allAlive);
        await waitReplicasAnswer(replicaPortsOf(plan), META_ANSWER_TIMEOUT_MS, allAlive);
        ready = true;
        say(`up: ${describePlan(plan)}; Ctrl-C stops it`);
        // Reported with or without --wait-healthy: in the foreground nothing waits for it, but the line tells
        // a new user when the table is whole (secondaries learn a moment after the primaries serve).
        const replicaCount = await waitHealthy(metaPortOf(plan), plan.appName, HEALTHY_TIMEOUT_MS, () => !stopping);
        say(`healthy: ${healthyText(plan.appName, replicaCount)}`);
      } catch (e) {
        if (stopping) return;
        say(isPegasusError(e) ? e.message : String(e));
        // A onebox whose servers never all answered is of no use: stop the rest rather than leave it half up.
        if (!ready) {
          startFailed = true;
          beginStop('the onebox did not come up');
        }
      }
    })();
    await allDown;
    for (const c of children) c.log.end();
    if (stopping && !startFailed) {
      say('stopped');
      return 0;
    }
    say(startFailed ? 'stopped' : 'every role has exited');
    return 1;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}
