import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';

/**
 * Who holds a data directory, as written in `<dataDir>/council.lock` (mode 0600). A
 * server adds where local tools reach it (`url`, `token`): `council keys`, `audit`,
 * `migrate --dry-run` and `validate` then go through its `/admin` API instead of opening
 * the embedded store behind its back. Whoever can read the file can read the store
 * itself, so the token grants nothing the file system does not.
 */
export interface LockHolder {
  readonly pid: number;
  /** The process's start time in clock ticks after boot (`/proc/<pid>/stat`), so a reused pid is not taken for the holder. */
  readonly startTime?: string;
  /** `/proc/sys/kernel/random/boot_id`: a lock written before the last reboot is stale whatever its pid. */
  readonly bootId?: string;
  readonly host: string;
  /** What holds it, for messages: `council serve`, `council migrate`, ... */
  readonly command: string;
  readonly startedAt: string;
  /** One acquisition: a lock is released only by the owner that took it. */
  readonly nonce: string;
  /** The port a server listens on (or was told to: 0 until it has bound one). */
  readonly port?: number;
  /** Loopback base URL of a server, for local tools. */
  readonly url?: string;
  /** A server's admin token for local tools; never logged, never printed. */
  readonly token?: string;
}

/** Locks this process holds: released by one exit handler, however many servers a process (a test) runs. */
const heldLocks = new Set<DataDirLock>();
process.on('exit', () => {
  for (const lock of heldLocks) lock.release();
});

/** The data directory is held by another live owner; the message is one line naming it. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(`data directory ${dataDir} is in use by ${describeHolder(holder)}`);
  }
}

export const LOCK_FILE = 'council.lock';

/**
 * An exclusive lock on a data directory: at most one owner (one process, and within it
 * one server or command) opens the embedded stores in it, since two PGlite instances on
 * one folder each keep their own view and lose each other's writes. The lock file is
 * created atomically (written aside, then hard-linked into place, which fails if one
 * exists); a lock whose process is gone (or whose pid now belongs to another process,
 * told apart by its start time) is taken over. Released by {@link release}, and on any
 * process exit that runs exit handlers (including uncaught errors and `process.exit`).
 */
export class DataDirLock {
  readonly dataDir: string;
  readonly file: string;
  readonly #command: string;
  #held: LockHolder | undefined;
  /** What {@link publish} said before the lock was taken: written whenever it is. */
  #published: Partial<LockHolder> = {};

  constructor(dataDir: string, command: string = processCommand()) {
    this.dataDir = dataDir;
    this.file = join(dataDir, LOCK_FILE);
    this.#command = command;
  }

  get held(): boolean {
    return this.#held !== undefined;
  }

  /**
   * Takes the lock, or confirms this owner holds it. Throws {@link DataDirLockedError}
   * when a live owner (another process, or another owner in this one) holds it.
   */
  acquire(details: { port?: number } = {}): void {
    if (this.#held) return;
    mkdirSync(this.dataDir, { recursive: true });
    const mine: LockHolder = {
      pid: process.pid,
      ...identityOf(process.pid),
      host: hostname(),
      command: this.#command,
      startedAt: new Date().toISOString(),
      nonce: randomBytes(12).toString('hex'),
      ...details,
      ...this.#published,
    };
    const aside = `${this.file}.${process.pid}.${mine.nonce}`;
    writeFileSync(aside, JSON.stringify(mine), { mode: 0o600 });
    try {
      // A few rounds: each either takes the lock, refuses it, or clears one stale file.
      for (let round = 0; round < 5; round++) {
        try {
          linkSync(aside, this.file);
          this.#held = mine;
          heldLocks.add(this);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const text = readText(this.file);
        if (text === undefined) continue;
        const holder = parseHolder(text);
        if (holder && isAlive(holder)) throw new DataDirLockedError(this.dataDir, holder);
        if (!holder && round < 2) {
          // Not JSON: written by something else, or truncated by a crash. Look once more before clearing it.
          continue;
        }
        clearStale(this.file, text);
      }
      const holder = parseHolder(readText(this.file) ?? '');
      if (holder) throw new DataDirLockedError(this.dataDir, holder);
      throw new Error(`could not take the lock ${this.file}: it keeps changing; remove it if no council process uses ${this.dataDir}`);
    } finally {
      rmSync(aside, { force: true });
    }
  }

  /**
   * Adds a server's port, URL and admin token to its lock (replacing the file in one
   * rename), now if it holds it, or when it takes it later (a connection that becomes
   * embedded on a config reload).
   */
  publish(details: { port: number; url: string; token: string }): void {
    this.#published = details;
    const held = this.#held;
    if (!held || !this.#stillMine()) return;
    const next = { ...held, ...details };
    const aside = `${this.file}.${process.pid}.${held.nonce}`;
    writeFileSync(aside, JSON.stringify(next), { mode: 0o600 });
    renameSync(aside, this.file);
    this.#held = next;
  }

  /** Removes the lock file if this owner holds it; never another owner's. Idempotent. */
  release(): void {
    if (!this.#held) return;
    heldLocks.delete(this);
    if (this.#stillMine()) rmSync(this.file, { force: true });
    this.#held = undefined;
  }

  #stillMine(): boolean {
    return parseHolder(readText(this.file) ?? '')?.nonce === this.#held?.nonce;
  }
}

/** The live owner of a data directory's lock, if any (a stale lock counts as none). */
export function lockHolder(dataDir: string): LockHolder | undefined {
  const holder = parseHolder(readText(join(dataDir, LOCK_FILE)) ?? '');
  return holder && isAlive(holder) ? holder : undefined;
}

/** `council serve (pid 4242, port 8080, since 2026-11-27T03:41:07.112Z)`, for one-line messages. */
export function describeHolder(holder: LockHolder): string {
  const parts = [`pid ${holder.pid}`];
  if (holder.port) parts.push(`port ${holder.port}`);
  if (holder.host !== hostname()) parts.push(`host ${holder.host}`);
  parts.push(`since ${holder.startedAt}`);
  const who = holder.pid === process.pid && holder.startTime === identityOf(process.pid).startTime ? ' in this process' : '';
  return `${holder.command}${who} (${parts.join(', ')})`;
}

/** Whether the lock's owner still runs: its pid is alive and is the same process (same start time, same boot). */
function isAlive(holder: LockHolder): boolean {
  const here = identityOf(process.pid);
  if (holder.bootId && here.bootId && holder.bootId !== here.bootId) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: alive, owned by another user.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = identityOf(holder.pid).startTime;
  return !(holder.startTime && now && now !== holder.startTime);
}

/**
 * Removes a stale lock, unless another process replaced it since it was read: the file
 * is moved aside first (atomic), and put back if what was moved is not what was judged.
 */
function clearStale(file: string, judged: string): void {
  const aside = `${file}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch {
    return;
  }
  if (readText(aside) !== judged) {
    try {
      linkSync(aside, file);
    } catch {
      // Someone took the lock meanwhile: theirs stands.
    }
  }
  rmSync(aside, { force: true });
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder> | null;
    if (typeof value?.pid !== 'number' || typeof value.nonce !== 'string') return undefined;
    return {
      host: '',
      command: 'a council process',
      startedAt: 'an unknown time',
      ...value,
    } as LockHolder;
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Start time and boot id where Linux's /proc tells them; elsewhere the pid alone decides. */
function identityOf(pid: number): { startTime?: string; bootId?: string } {
  const out: { startTime?: string; bootId?: string } = {};
  const stat = readText(`/proc/${pid}/stat`);
  // Fields after the command name, which is in parentheses and may hold spaces; starttime is field 22.
  const startTime = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  if (startTime) out.startTime = startTime;
  const bootId = readText('/proc/sys/kernel/random/boot_id')?.trim();
  if (bootId) out.bootId = bootId;
  return out;
}

/** `council serve` when run through bin/council.mjs, else the script's name. */
function processCommand(): string {
  const script = basename(process.argv[1] ?? 'node');
  return script === 'council.mjs' ? `council ${process.argv[2] ?? ''}`.trim() : `node ${script}`;
}
