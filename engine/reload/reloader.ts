import { existsSync } from 'node:fs';
import { basename, sep } from 'node:path';
import { type StagedStore, StorageError } from '../../adapters/types.ts';
import { compileAutomation } from '../compile/compile.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import type { CouncilConfig } from '../config/config.ts';
import { connectionBackends } from '../config/load.ts';
import type { Logger } from '../log.ts';
import {
  checkAcrossManifests,
  checkManifestText,
  type FileLoad,
  fingerprintOnDisk,
  isDirectory,
  isManifestName,
  loadManifestFile,
  manifestFiles,
} from '../manifest/load.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { checkReferencesAcross, type ServingReferences } from '../manifest/reference-graph.ts';
import { storageRefusal } from '../manifest/storage-refusal.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import type { AutomationFailure, AutomationRegistry, MountedAutomation } from '../registry/registry.ts';
import type { AuditLog } from '../security/audit-log.ts';
import { formatIssue, hasErrors, type ManifestIssue } from '../source/issues.ts';
import type { BindPlan } from './bind.ts';
import { diffConfig } from './config-diff.ts';
import { NameIndex } from './name-index.ts';

export type ReloadOutcome = 'loaded' | 'updated' | 'unchanged' | 'rejected' | 'removed';

export interface ReloadReport {
  readonly trigger: string;
  readonly ms: number;
  readonly files: readonly { readonly file: string; readonly name?: string; readonly outcome: ReloadOutcome }[];
}

/** What the engine knows of one manifest file: the version serving (if any) and what it last read. */
interface FileEntry {
  readonly file: string;
  /** Files whose change must reload this one: those of the serving version and of the last text read. */
  readonly dependencies: readonly string[];
  /** Fingerprint of the last texts read (serving or failed). */
  readonly fingerprint: string;
  readonly loaded?: LoadedManifest;
  readonly mounted?: MountedAutomation;
}

/** What {@link Reloader.check} found in a text: its issues and, when it compiles, its plan. */
export interface CheckedText {
  readonly issues: ManifestIssue[];
  readonly plan?: AutomationPlan;
  /** An issue at the manifest's `field` (or its storage) for a change the store refuses. */
  readonly refusal?: (field: string, message: string) => ManifestIssue;
}

/** Issue codes that depend on other manifests: such a file is retried when another one goes away. */
const CROSS_CODES = new Set(['name-duplicate', 'record-name-duplicate', 'reference-unknown', 'reference-inverse-duplicate']);

interface Built {
  readonly file: string;
  readonly load: FileLoad;
  readonly mounted?: MountedAutomation;
  /** Steps the store deferred until `replaces` has drained (a column to drop or retype). */
  readonly staged?: StagedStore;
  /** The version serving under the same name when this one was bound. */
  readonly replaces?: MountedAutomation;
  readonly failure?: Omit<AutomationFailure, 'file' | 'at'>;
}

/**
 * Turns manifest files into serving automations, one file at a time: a file is read,
 * checked against the others, compiled and bound off to the side, and only then swapped
 * in, in one synchronous step with every other file of the same batch. A file that
 * fails leaves its previous version serving. Files not named in a reload are not
 * touched: same plan, same store, same compiled validators. Reloads run one at a time.
 */
export class Reloader {
  readonly #entries = new Map<string, FileEntry>();
  /** Serving manifests by automation name and by published record name, for the name checks. */
  readonly #names = new NameIndex();
  readonly #registry: AutomationRegistry;
  readonly #connections: ConnectionPool;
  readonly #logger: Logger;
  #config: CouncilConfig;
  /** Versions taken out of service with requests still in flight, by automation name. */
  readonly #draining = new Map<string, Set<MountedAutomation>>();
  #queue: Promise<unknown> = Promise.resolve();
  /** How many files each reload outcome has had since start (for metrics). */
  readonly counts: Record<ReloadOutcome, number> = { loaded: 0, updated: 0, unchanged: 0, rejected: 0, removed: 0 };

  readonly #bind: BindPlan;
  /** Manifest events (loaded, updated, rejected, removed) go to the audit log. */
  readonly #audit: AuditLog;

  /** `bind` binds a compiled plan (see {@link planBinder}); `audit` records manifest events. */
  constructor(
    config: CouncilConfig,
    registry: AutomationRegistry,
    connections: ConnectionPool,
    logger: Logger,
    binding: { bind: BindPlan; audit: AuditLog },
  ) {
    this.#bind = binding.bind;
    this.#audit = binding.audit;
    this.#config = config;
    this.#registry = registry;
    this.#connections = connections;
    this.#logger = logger;
  }

  get config(): CouncilConfig {
    return this.#config;
  }

  /**
   * Reloads what the given paths affect: manifest files (added, changed or gone),
   * schema files manifests `$ref`, folders that were removed. `force` rebuilds even
   * files whose text did not change.
   */
  reload(paths: Iterable<string>, options: { force?: boolean; trigger?: string } = {}): Promise<ReloadReport> {
    const list = [...paths];
    return this.#serialize(() => this.#apply(this.#affected(list), options.force ?? false, options.trigger ?? 'watch'));
  }

  /**
   * Binds again the files whose store could not be reached, so an automation whose
   * database was down at start (or at its last reload) serves once the database is
   * back, without a restart. Resolves undefined when there is nothing to retry.
   */
  retryUnreachable(): Promise<ReloadReport | undefined> {
    return this.#serialize(async () => {
      const files = this.#registry
        .failures()
        .filter((f) => f.retry && this.#entries.has(f.file))
        .map((f) => f.file);
      return files.length ? this.#apply(new Set(files), true, 'retry') : undefined;
    });
  }

  /**
   * What a reload would find in `text` as the new content of `file`, without writing,
   * binding or serving anything: the file's own checks, its names against every other
   * serving manifest, and compiling. Warnings come back too. (What the store would do to
   * stored data is not asked here: `plan` is what to ask the store about, and `refusal`
   * places what it refuses at the manifest's field.)
   */
  check(file: string, text: string): CheckedText {
    const load = checkManifestText(file, text, connectionBackends(this.#config));
    const manifest = load.manifest;
    if (!manifest) return { issues: load.issues };
    const other = (m: LoadedManifest | undefined) => (m && m.file !== file ? m : undefined);
    const across = checkAcrossManifests([load.manifest], {
      name: (n) => other(this.#names.name(n)),
      recordName: (n) => other(this.#names.recordName(n)),
    });
    const references = checkReferencesAcross(across.accepted, this.#servingReferences(other));
    const issues = [...load.issues, ...across.issues, ...references.issues];
    if (hasErrors(issues)) return { issues };
    try {
      const plan = compileAutomation(manifest, {
        pagination: this.#config.pagination,
        consequentialWrites: this.#config.gpt.consequentialWrites,
      });
      return { issues, plan, refusal: (field, message) => storageRefusal(manifest, field, message) };
    } catch (error) {
      issues.push({
        code: 'manifest-schema',
        severity: 'error',
        file,
        line: 1,
        col: 1,
        pointer: '',
        message: `could not be compiled: ${(error as Error).message}`,
      });
      return { issues };
    }
  }

  /** Rescans the automations folder and reloads every file in it, and every file that left it. */
  reloadAll(options: { force?: boolean; trigger?: string } = {}): Promise<ReloadReport> {
    return this.#serialize(() => {
      const files = new Set([...this.#entries.keys(), ...manifestFiles([this.#config.automations]).filter((f) => this.#isManifest(f))]);
      return this.#apply(files, options.force ?? false, options.trigger ?? 'full');
    });
  }

  /**
   * Applies a new config: automations whose connection changed are rebound on the new
   * one, a change of pagination or body limit rebuilds every automation, and files that
   * failed are retried (a connection they named may exist now). Connections that were
   * replaced are closed once the versions using them have finished their requests.
   */
  reconfigure(next: CouncilConfig): Promise<ReloadReport> {
    return this.#serialize(async () => {
      const { kept, everything, needRestart } = diffConfig(this.#config, next);
      for (const key of needRestart) this.#logger.warn(`config ${key} changed; it takes effect after a restart`);
      const { changed, retired } = this.#connections.reconfigure(next.connections);
      this.#config = kept;
      const files = new Set<string>();
      for (const entry of this.#entries.values()) {
        const connection = entry.mounted?.plan.storage.connection;
        if (everything || (connection !== undefined && changed.includes(connection)) || this.#registry.failureOf(entry.file)) {
          files.add(entry.file);
        }
      }
      const before = new Map([...this.#entries].map(([file, e]) => [file, e.mounted]));
      const report = await this.#apply(files, true, 'config');
      // Old connections close only after every version bound to them has drained.
      const replaced = [...before.values()].filter((m) => m && changed.includes(m.plan.storage.connection));
      void Promise.all(replaced.map((m) => m?.traffic.whenIdle())).then(() => this.#connections.closeRetired(retired));
      return report;
    });
  }

  /** Manifest files among (or depending on) `paths` whose texts on disk differ from what was last read. */
  stale(paths: Iterable<string>): string[] {
    const out: string[] = [];
    for (const file of this.#affected([...paths])) {
      const entry = this.#entries.get(file);
      if (entry ? fingerprintOnDisk(entry.dependencies) !== entry.fingerprint : existsSync(file)) out.push(file);
    }
    return out;
  }

  /** Files outside the automations folder that manifests depend on (`$ref`-ed schema files), to watch. */
  dependencyFiles(): string[] {
    const inside = this.#config.automations + sep;
    return [...new Set([...this.#entries.values()].flatMap((e) => e.dependencies))].filter((f) => !f.startsWith(inside));
  }

  /** The serving manifests a new one's references are checked against, less those `keep` leaves out. */
  #servingReferences(keep: (m: LoadedManifest | undefined) => LoadedManifest | undefined): ServingReferences {
    return {
      name: (n) => keep(this.#names.name(n)),
      inverse: (target, inverse) => keep(this.#names.inverse(target, inverse)),
      names: () => [...this.#names.names()].filter((n) => keep(this.#names.name(n))),
    };
  }

  #serialize<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job);
    this.#queue = run.catch(() => {});
    return run;
  }

  #isManifest(path: string): boolean {
    return path.startsWith(this.#config.automations + sep) && isManifestName(basename(path));
  }

  /** The manifest files a set of changed paths affects. */
  #affected(paths: readonly string[]): Set<string> {
    const files = new Set<string>();
    for (const path of paths) {
      if (this.#isManifest(path)) files.add(path);
      if (isDirectory(path)) for (const f of manifestFiles([path])) if (this.#isManifest(f)) files.add(f);
      for (const entry of this.#entries.values()) {
        if (entry.dependencies.includes(path) || entry.file.startsWith(path + sep)) files.add(entry.file);
      }
    }
    return files;
  }

  async #apply(files: Set<string>, force: boolean, trigger: string): Promise<ReloadReport> {
    const started = performance.now();
    const backends = connectionBackends(this.#config);
    const outcomes = new Map<string, { name?: string; outcome: ReloadOutcome }>();
    const removed: string[] = [];
    const candidates: { file: string; load: FileLoad }[] = [];
    const rejected: Built[] = [];
    for (const file of [...files].sort()) {
      const load = loadManifestFile(file, backends);
      const entry = this.#entries.get(file);
      if (load.missing) {
        if (entry) removed.push(file);
      } else if (!force && entry?.mounted && entry.fingerprint === load.fingerprint && !this.#registry.failureOf(file)) {
        outcomes.set(file, { name: entry.mounted.plan.name, outcome: 'unchanged' });
      } else if (load.manifest) {
        candidates.push({ file, load });
      } else {
        rejected.push({
          file,
          load,
          failure: {
            ...(load.name ? { name: load.name } : {}),
            state: 'invalid',
            errors: load.issues.map((i) => formatIssue(i)),
            issues: load.issues,
          },
        });
      }
      for (const issue of load.issues) if (issue.severity === 'warning') this.#logger.warn(formatIssue(issue));
    }

    // Names and paths are checked against every version that will still serve: the
    // files not in this batch, and the old versions of files whose new text is rejected.
    const leaving = new Set([...candidates.map((c) => c.file), ...removed]);
    const staying = (m: LoadedManifest | undefined) => (m && !leaving.has(m.file) ? m : undefined);
    const across = checkAcrossManifests(
      candidates.map((c) => c.load.manifest as LoadedManifest),
      { name: (n) => staying(this.#names.name(n)), recordName: (n) => staying(this.#names.recordName(n)) },
    );
    const references = checkReferencesAcross(across.accepted, this.#servingReferences(staying));
    const accepted = new Set(references.accepted);
    const crossIssues = groupByFile([...across.issues, ...references.issues]);
    const built = await Promise.all(
      candidates.map(async ({ file, load }): Promise<Built> => {
        const manifest = load.manifest as LoadedManifest;
        if (!accepted.has(manifest)) {
          const issues = crossIssues.get(file) ?? [];
          return {
            file,
            load,
            failure: { name: manifest.manifest.name, state: 'invalid', errors: issues.map((i) => formatIssue(i)), issues },
          };
        }
        return this.#build(file, load, manifest);
      }),
    );
    const previous = new Map(built.map((b) => [b.file, this.#entries.get(b.file)]));
    const retired = this.#commit([...built, ...rejected], removed, outcomes);
    for (const old of retired) this.#drain(old);
    // Deferred schema steps, once the versions they would break have drained. Awaited, so
    // the next reload plans from a finished table.
    await Promise.all(
      built.map((b) => (b.staged && b.mounted ? this.#finish(b, b.mounted, b.staged, previous.get(b.file), outcomes) : undefined)),
    );
    for (const { outcome } of outcomes.values()) this.counts[outcome]++;

    // A file that lost a name contest may win it now that another file let go of the name,
    // and one whose reference named an automation not serving may find it now it serves.
    const letGo = removed.length > 0 || [...outcomes.values()].some((o) => o.outcome === 'updated' || o.outcome === 'loaded');
    const waiting = letGo
      ? this.#registry
          .failures()
          .filter((f) => !files.has(f.file) && this.#entries.has(f.file) && f.issues.some((i) => CROSS_CODES.has(i.code)))
          .map((f) => f.file)
      : [];
    const ms = performance.now() - started;
    const report: ReloadReport = { trigger, ms, files: [...outcomes].map(([file, o]) => ({ file, ...o })) };
    this.#log(report);
    this.#auditManifests(report);
    if (letGo && waiting.length) {
      const retry = await this.#apply(new Set(waiting), true, `${trigger} (retry)`);
      return { trigger, ms: performance.now() - started, files: [...report.files, ...retry.files] };
    }
    return report;
  }

  async #build(file: string, load: FileLoad, manifest: LoadedManifest): Promise<Built> {
    const { name } = manifest.manifest;
    let plan: ReturnType<typeof compileAutomation>;
    try {
      plan = compileAutomation(manifest, {
        pagination: this.#config.pagination,
        consequentialWrites: this.#config.gpt.consequentialWrites,
      });
    } catch (error) {
      const message = `${file}:1:1: could not be compiled: ${(error as Error).message}`;
      return { file, load, failure: { name, state: 'invalid', errors: [message], issues: [] } };
    }
    try {
      // With a version serving, the store changes only what that version survives until it drains.
      const replaces = this.#registry.match(name);
      const bound = await this.#bind(plan, { config: this.#config, version: load.fingerprint, beside: replaces !== undefined });
      return { file, load, mounted: bound.mounted, ...(bound.staged && replaces ? { staged: bound.staged, replaces } : {}) };
    } catch (error) {
      return { file, load, failure: storageFailure(file, manifest, error) };
    }
  }

  /**
   * Runs a new version's deferred schema steps once no older version of the automation
   * has a request in flight (each waited for at most the request timeout). If they fail (a column to drop
   * received values meanwhile, the store went away), the new version cannot serve: the
   * file's previous version is put back, as when binding fails, with the failure recorded.
   */
  async #finish(
    built: Built,
    mounted: MountedAutomation,
    staged: StagedStore,
    previous: FileEntry | undefined,
    outcomes: Map<string, { name?: string; outcome: ReloadOutcome }>,
  ): Promise<void> {
    const { name } = mounted.plan;
    const drainMs = this.#config.server.requestTimeoutSeconds * 1000 + 1000;
    // Every older version still in flight, not only the one replaced: a reload that changed
    // nothing destructive did not wait for the version before it.
    const older = [...(this.#draining.get(name) ?? [])].filter((version) => version !== this.#registry.match(name));
    const idle = await Promise.all(older.map((version) => idleWithin(version, drainMs)));
    if (idle.includes(false)) {
      this.#logger.warn(
        `${built.file}: requests on the previous version of "${name}" still run after ${drainMs} ms; changing the table anyway`,
      );
    }
    try {
      await staged.finish();
      this.#logger.info('reload: table changed after the previous version drained', {
        automation: name,
        steps: staged.deferred.join('; '),
      });
    } catch (error) {
      const manifest = built.load.manifest as LoadedManifest;
      if (this.#registry.match(name) === mounted) {
        if (previous?.mounted && previous.mounted === built.replaces) {
          this.#draining.get(name)?.delete(previous.mounted);
          this.#registry.mount(previous.mounted);
          this.#names.replace(manifest, previous.loaded);
        } else {
          this.#registry.unmount(name);
          this.#names.replace(manifest, undefined);
        }
      }
      this.#fail(built.file, built.load, previous, storageFailure(built.file, manifest, error), new Date().toISOString(), outcomes);
    }
  }

  /** The swap: synchronous, so no request sees part of a batch. Returns the versions taken out of service. */
  #commit(built: readonly Built[], removed: readonly string[], outcomes: Map<string, { name?: string; outcome: ReloadOutcome }>) {
    const at = new Date().toISOString();
    const retired: MountedAutomation[] = [];
    const release = (mounted: MountedAutomation | undefined) => {
      if (!mounted) return;
      if (this.#registry.match(mounted.plan.name) === mounted) this.#registry.unmount(mounted.plan.name);
      retired.push(mounted);
    };
    for (const file of removed) {
      const entry = this.#entries.get(file);
      release(entry?.mounted);
      this.#names.replace(entry?.loaded, undefined);
      this.#registry.clearFailure(file);
      this.#entries.delete(file);
      outcomes.set(file, { ...(entry?.mounted ? { name: entry.mounted.plan.name } : {}), outcome: 'removed' });
    }
    for (const { file, load, mounted, failure } of built) {
      const entry = this.#entries.get(file);
      const holder = mounted && this.#registry.match(mounted.plan.name);
      if (mounted && holder && holder.plan.file !== file) {
        // Only possible when the file that held the name failed to rebind under a new one.
        const message = `${file}:1:1: automation "${mounted.plan.name}" is still served from ${holder.plan.file}; rename one of them`;
        this.#fail(file, load, entry, { name: mounted.plan.name, state: 'invalid', errors: [message], issues: [] }, at, outcomes);
        continue;
      }
      if (mounted) {
        if (entry?.mounted && entry.mounted.plan.name !== mounted.plan.name) release(entry.mounted);
        else if (entry?.mounted) retired.push(entry.mounted);
        this.#registry.mount(mounted);
        this.#names.replace(entry?.loaded, load.manifest);
        this.#entries.set(file, { file, dependencies: load.dependencies, fingerprint: load.fingerprint, loaded: load.manifest, mounted });
        outcomes.set(file, { name: mounted.plan.name, outcome: entry?.mounted ? 'updated' : 'loaded' });
      } else if (failure) {
        this.#fail(file, load, entry, failure, at, outcomes);
      }
    }
    return retired;
  }

  /** Keeps a retired version in {@link #draining} until its last request is done. */
  #drain(version: MountedAutomation): void {
    if (version.traffic.active === 0) return;
    const name = version.plan.name;
    const versions = this.#draining.get(name) ?? new Set();
    versions.add(version);
    this.#draining.set(name, versions);
    void version.traffic.whenIdle().then(() => {
      versions.delete(version);
      if (versions.size === 0 && this.#draining.get(name) === versions) this.#draining.delete(name);
    });
  }

  #fail(
    file: string,
    load: FileLoad,
    entry: FileEntry | undefined,
    failure: Omit<AutomationFailure, 'file' | 'at'>,
    at: string,
    outcomes: Map<string, { name?: string; outcome: ReloadOutcome }>,
  ): void {
    this.#registry.recordFailure({ file, at, ...failure });
    const dependencies = [...new Set([...(entry?.dependencies ?? []), ...load.dependencies])];
    this.#entries.set(file, { ...entry, file, dependencies, fingerprint: load.fingerprint });
    for (const line of failure.errors) this.#logger.error(line);
    if (entry?.mounted) this.#logger.warn(`${file}: the previous version of "${entry.mounted.plan.name}" keeps serving`);
    outcomes.set(file, { ...(failure.name ? { name: failure.name } : {}), outcome: 'rejected' });
  }

  /** Manifest events for the audit log; a retry that fails again is not news. */
  #auditManifests(report: ReloadReport): void {
    for (const { file, name, outcome } of report.files) {
      if (outcome === 'unchanged' || (report.trigger === 'retry' && outcome === 'rejected')) continue;
      this.#audit.record({
        actor: 'engine',
        action: `manifest.${outcome}`,
        ...(name ? { automation: name } : {}),
        outcome: outcome === 'rejected' ? 'rejected' : 'ok',
        detail: `${file} (${report.trigger})`,
      });
    }
  }

  #log(report: ReloadReport): void {
    // A batch in which nothing changed (an event whose texts had not) is not worth a line.
    if (report.files.every((f) => f.outcome === 'unchanged')) return;
    const by = (outcome: ReloadOutcome) => report.files.filter((f) => f.outcome === outcome).map((f) => f.name ?? f.file);
    const fields: Record<string, unknown> = { trigger: report.trigger, ms: Math.round(report.ms * 10) / 10 };
    for (const outcome of ['loaded', 'updated', 'removed', 'rejected'] as const) {
      const names = by(outcome);
      if (names.length) fields[outcome] = names.join(',');
    }
    (report.files.some((f) => f.outcome === 'rejected') ? this.#logger.warn : this.#logger.info)('reload', fields);
  }
}

/** Why a store could not be prepared for a manifest, pointing at the property a refusal is about. */
function storageFailure(file: string, manifest: LoadedManifest, error: unknown): Omit<AutomationFailure, 'file' | 'at'> {
  const { name, storage } = manifest.manifest;
  if (error instanceof StorageError && error.kind === 'rejected' && error.field !== undefined) {
    // A change the store refuses, about one property: point at it (or at storage, for a removed one).
    const issue = storageRefusal(
      manifest,
      error.field,
      `storage "${storage.connection ?? storage.backend}" refused the change: ${error.message}`,
    );
    return { name, state: 'unavailable', errors: [formatIssue(issue)], issues: [issue] };
  }
  const message = `${file}:1:1: storage "${storage.connection ?? storage.backend}" could not be prepared: ${(error as Error).message}`;
  const retry = error instanceof StorageError && error.kind === 'unavailable';
  return { name, state: 'unavailable', errors: [message], issues: [], ...(retry ? { retry } : {}) };
}

/** Resolves true once `version` has no request in flight, false if that takes longer than `ms`. */
async function idleWithin(version: MountedAutomation, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([version.traffic.whenIdle().then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

function groupByFile(issues: readonly ManifestIssue[]): Map<string, ManifestIssue[]> {
  const byFile = new Map<string, ManifestIssue[]>();
  for (const issue of issues) if (hasErrors([issue])) byFile.set(issue.file, [...(byFile.get(issue.file) ?? []), issue]);
  return byFile;
}
