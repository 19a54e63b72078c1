/**
 * The leader lock of a single embedded meta (upstream's process-local `distributed_lock_service_simple`,
 * made to also keep a second meta process off the same data directory): an exclusive lock file holding
 * the holder's pid and owner id.
 *
 * Taking it: the content is written to a private file created with O_EXCL, fsync'ed, then hard-linked to
 * the lock name. link(2) fails with EEXIST if the name exists, so creation is exclusive like O_EXCL, and a
 * crash can never leave a half-written lock file that nobody could judge. A lock whose pid is dead (or
 * whose content is unreadable) is stale and taken over; a live pid → ERR_HOLD_BY_OTHERS.
 *
 * Losing it: two processes taking over the same stale lock at once can both succeed (each removes the
 * stale file, one then removes the other's fresh one); and an operator may delete the file. So the holder
 * re-reads the lock file every `checkIntervalMs` and calls `onLost` when it is gone or names someone
 * else; the meta then stops acting as leader (pegasus-internals.md §9 item 5). A pid reused by an
 * unrelated live process keeps a stale lock looking held: the operator removes the file.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PegasusError } from '../base/error-code.ts';
import type { DistributedLock, LockHandle, LockOptions } from './meta-state-store.ts';

export const LOCK_FILE_NAME = 'meta.lock';

export interface LocalLockOptions {
  /** How often a holder verifies it still owns the lock file. */
  readonly checkIntervalMs?: number;
}

interface LockContent {
  readonly pid: number;
  readonly ownerId: string;
  /** Tells this acquisition from an earlier one of the same process. */
  readonly token: string;
}

const DEFAULT_CHECK_INTERVAL_MS = 1000;

export class LocalLock implements DistributedLock {
  private readonly lockPath: string;
  private readonly checkIntervalMs: number;
  private current: LocalLockHandle | undefined;

  constructor(
    private readonly dirPath: string,
    options: LocalLockOptions = {},
  ) {
    this.lockPath = join(dirPath, LOCK_FILE_NAME);
    this.checkIntervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
  }

  async lock(options: LockOptions): Promise<LockHandle> {
    await io(`create ${this.dirPath}`, () => mkdir(this.dirPath, { recursive: true }));
    const content: LockContent = { pid: process.pid, ownerId: options.ownerId, token: randomUUID() };
    // At most one takeover: if the lock is taken again right after we removed a stale one, someone live has it.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.tryLink(content)) {
        const handle = new LocalLockHandle(this.lockPath, this.dirPath, content, options.onLost, this.checkIntervalMs);
        this.current = handle;
        return handle;
      }
      const holder = await readLock(this.lockPath);
      if (holder === 'missing') continue; // released between our link and our read
      if (holder !== 'unreadable') {
        if (holder.pid === process.pid) {
          throw new PegasusError('ERR_RECURSIVE_LOCK', `this process already holds ${this.lockPath} as ${holder.ownerId}`);
        }
        if (isAlive(holder.pid)) {
          throw new PegasusError('ERR_HOLD_BY_OTHERS', `${this.lockPath} is held by ${holder.ownerId} (pid ${holder.pid})`);
        }
      }
      await unlink(this.lockPath).catch((e: unknown) => {
        if (!isErrno(e, 'ENOENT')) throw ioError(`remove stale ${this.lockPath}`, e);
      });
    }
    throw new PegasusError('ERR_HOLD_BY_OTHERS', `${this.lockPath} was taken again while taking over a stale lock`);
  }

  async queryOwner(): Promise<string | undefined> {
    const holder = await readLock(this.lockPath);
    if (holder === 'missing' || holder === 'unreadable' || !isAlive(holder.pid)) return undefined;
    return holder.ownerId;
  }

  /** Releases the lock if this LocalLock holds it. */
  async close(): Promise<void> {
    await this.current?.release();
    this.current = undefined;
  }

  /** Publishes `content` as the lock file; false when the lock file already exists. */
  private async tryLink(content: LockContent): Promise<boolean> {
    const privatePath = `${this.lockPath}.${content.pid}.${content.token}`;
    const fh = await io(`create ${privatePath}`, () => open(privatePath, 'wx', 0o644));
    try {
      await io(`write ${privatePath}`, () => fh.writeFile(`${JSON.stringify(content)}\n`));
      await io(`sync ${privatePath}`, () => fh.datasync());
    } finally {
      await fh.close();
    }
    try {
      await link(privatePath, this.lockPath);
      await syncDir(this.dirPath);
      return true;
    } catch (e) {
      if (isErrno(e, 'EEXIST')) return false;
      throw ioError(`link ${this.lockPath}`, e);
    } finally {
      await unlink(privatePath).catch(() => undefined);
    }
  }
}

class LocalLockHandle implements LockHandle {
  private heldNow = true;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly lockPath: string,
    private readonly dirPath: string,
    private readonly content: LockContent,
    private readonly onLost: (cause: PegasusError) => void,
    checkIntervalMs: number,
  ) {
    this.timer = setInterval(() => void this.verify(), checkIntervalMs);
    this.timer.unref(); // the lock alone must not keep the process alive
  }

  get ownerId(): string {
    return this.content.ownerId;
  }

  get held(): boolean {
    return this.heldNow;
  }

  async release(): Promise<void> {
    if (!this.heldNow) return;
    this.heldNow = false;
    clearInterval(this.timer);
    const holder = await readLock(this.lockPath);
    if (holder === 'missing' || holder === 'unreadable' || holder.token !== this.content.token) return; // not ours any more
    await io(`remove ${this.lockPath}`, () => unlink(this.lockPath));
    await syncDir(this.dirPath);
  }

  private async verify(): Promise<void> {
    let holder: LockContent | 'missing' | 'unreadable';
    try {
      holder = await readLock(this.lockPath);
    } catch {
      return; // an I/O hiccup is not proof of loss; the next check decides
    }
    if (!this.heldNow) return;
    if (holder !== 'missing' && holder !== 'unreadable' && holder.token === this.content.token) return;
    this.heldNow = false;
    clearInterval(this.timer);
    const by = holder === 'missing' || holder === 'unreadable' ? `is ${holder}` : `is held by ${holder.ownerId} (pid ${holder.pid})`;
    this.onLost(new PegasusError('ERR_EXPIRED', `lost ${this.lockPath}: the lock file ${by}`));
  }
}

async function readLock(lockPath: string): Promise<LockContent | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return 'missing';
    throw ioError(`read ${lockPath}`, e);
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockContent>;
    if (Number.isSafeInteger(parsed.pid) && typeof parsed.ownerId === 'string' && typeof parsed.token === 'string') {
      return parsed as LockContent;
    }
  } catch {
    // falls through: damaged content
  }
  return 'unreadable';
}

/** Signal 0 checks existence only; EPERM means alive but owned by another user. */
function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return !isErrno(e, 'ESRCH');
  }
}

async function syncDir(dirPath: string): Promise<void> {
  const dir = await io(`open ${dirPath}`, () => open(dirPath, 'r'));
  try {
    await io(`sync ${dirPath}`, () => dir.sync());
  } finally {
    await dir.close();
  }
}

function isErrno(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === code;
}

async function io<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw e instanceof PegasusError ? e : ioError(what, e);
  }
}

function ioError(what: string, e: unknown): PegasusError {
  return new PegasusError('ERR_FILE_OPERATION_FAILED', `${what}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
}
