import { watch } from 'chokidar';
import { loadConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';
import { fingerprintOnDisk } from '../manifest/load.ts';
import { formatIssue } from '../source/issues.ts';
import type { Reloader } from './reloader.ts';

export interface WatchOptions {
  /** Quiet time after the last event before a batch is applied. */
  readonly debounceMs?: number;
  /** Longest a stream of events can hold a batch back. */
  readonly maxWaitMs?: number;
  /** When to re-read a batch's files after applying it, in case a later write raised no event. */
  readonly verifyMs?: number;
}

export interface ProjectWatcher {
  /** Resolves when the batch in progress (if any) is applied. */
  settled(): Promise<void>;
  /**
   * Resolves once nothing is left to do: no event waiting for its batch, no batch being
   * applied, no re-read (verify pass) still to come. What a test waits for before it
   * asserts that an edit changed nothing.
   */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Watches the automations folder (nested folders included), the config file and the
 * schema files manifests `$ref`, and feeds changes to the reloader in debounced batches.
 * Events only say *that* something changed: each batch reads the files as they are on
 * disk, and re-reads them a little later, because chokidar can report two quick writes
 * with one event that fires before the second write lands.
 */
export async function watchProject(reloader: Reloader, logger: Logger, options: WatchOptions = {}): Promise<ProjectWatcher> {
  const { debounceMs = 20, maxWaitMs = 200, verifyMs = 120 } = options;
  const configFile = reloader.config.file;
  const watcher = watch([reloader.config.automations, ...(configFile ? [configFile] : []), ...reloader.dependencyFiles()], {
    ignoreInitial: true,
  });
  const watched = new Set(reloader.dependencyFiles());
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let firstEventAt = 0;
  let running: Promise<void> = Promise.resolve();
  const verifies = new Set<NodeJS.Timeout>();
  /** The config file as last read to be applied, for the verify pass. */
  let configApplied: string | undefined;

  const schedule = () => {
    if (timer) clearTimeout(timer);
    const waited = Date.now() - firstEventAt;
    timer = setTimeout(flush, Math.max(0, Math.min(debounceMs, maxWaitMs - waited)));
  };
  const flush = () => {
    timer = undefined;
    const batch = pending;
    pending = new Set();
    running = running.then(() => apply(batch));
  };
  const apply = async (batch: Set<string>) => {
    const withConfig = configFile !== undefined && batch.delete(configFile);
    try {
      if (withConfig) await applyConfig(configFile);
      if (batch.size) await reloader.reload(batch, { trigger: 'watch' });
      for (const file of reloader.dependencyFiles()) {
        if (!watched.has(file)) {
          watched.add(file);
          watcher.add(file);
        }
      }
    } catch (error) {
      // A reload never throws for bad input; this is a bug, and the watcher must outlive it.
      logger.error('reload failed', { error: (error as Error).message });
    }
    const verify = setTimeout(() => {
      verifies.delete(verify);
      const stale = reloader.stale(batch);
      // The config too: a second save within chokidar's 50 ms for one file raises no event.
      if (withConfig && fingerprintOnDisk([configFile]) !== configApplied) stale.push(configFile);
      if (stale.length) onEvent(stale);
    }, verifyMs);
    verifies.add(verify);
  };
  const applyConfig = async (file: string) => {
    // Taken before reading: a write that lands after it is seen by the verify pass.
    configApplied = fingerprintOnDisk([file]);
    const { config, issues } = loadConfig(file);
    if (!config) {
      for (const issue of issues) logger.error(formatIssue(issue));
      logger.warn('config not applied; the previous config stays in effect');
      return;
    }
    await reloader.reconfigure(config);
  };
  const onEvent = (paths: readonly string[]) => {
    if (pending.size === 0 && !timer) firstEventAt = Date.now();
    for (const path of paths) pending.add(path);
    schedule();
  };

  watcher.on('all', (_event, path) => onEvent([path]));
  watcher.on('error', (error) => logger.error('watcher error', { error: (error as Error).message }));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    settled: () => running,
    async idle() {
      for (;;) {
        await running;
        if (!timer && pending.size === 0 && verifies.size === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async close() {
      if (timer) clearTimeout(timer);
      for (const verify of verifies) clearTimeout(verify);
      await watcher.close();
      await running;
    },
  };
}
