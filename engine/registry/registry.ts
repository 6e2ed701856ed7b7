import type { RecordStore } from '../../adapters/types.ts';
import type { AutomationPlan, Reference } from '../compile/plan.ts';
import type { RouteTable } from '../request/route-table.ts';
import type { ManifestIssue } from '../source/issues.ts';
import type { Traffic } from './traffic.ts';

/** A compiled automation bound to its store and mounted under its base path. Immutable. */
export interface MountedAutomation {
  readonly plan: AutomationPlan;
  readonly store: RecordStore;
  /** What it answers, by path shape and method. */
  readonly routes: RouteTable;
  readonly loadedAt: string;
  /** Fingerprint of the manifest (and schema file) texts this version was built from. */
  readonly version: string;
  /** Requests in flight on this version. */
  readonly traffic: Traffic;
  /** The earlier versions of the automation served beside it (`versions:`), by number; empty on an earlier one. */
  readonly earlier: ReadonlyMap<number, MountedAutomation>;
}

/** A serving automation whose records refer to another's, and the reference they do it by. */
export interface Referrer {
  readonly mounted: MountedAutomation;
  readonly reference: Reference;
}

/**
 * The automations serving now, as a handler that follows references sees them: each
 * automation reloads on its own, so a reference is looked up when a request needs it.
 */
export interface RelatedAutomations {
  match(name: string): MountedAutomation | undefined;
  /** The serving automations whose references refer to `name`, in name order. */
  referrers(name: string): readonly Referrer[];
}

/**
 * Why a manifest file is not serving its current text: it failed checks, or its store
 * could not be prepared. If an earlier version of it is serving, that one keeps serving.
 */
export interface AutomationFailure {
  readonly file: string;
  readonly name?: string;
  readonly state: 'invalid' | 'unavailable';
  readonly errors: readonly string[];
  readonly issues: readonly ManifestIssue[];
  /** When this failure was found. */
  readonly at: string;
  /** The store could not be reached: the engine retries on its own (see Reloader.retryUnreachable). */
  readonly retry?: boolean;
}

/**
 * What is serving right now. Requests look automations up by the first path segment,
 * so routing cost stays flat however many automations there are; replacing one is a
 * single Map assignment, so a request sees either the old version or the new one.
 */
export class AutomationRegistry implements RelatedAutomations {
  readonly #mounted = new Map<string, MountedAutomation>();
  readonly #failures = new Map<string, AutomationFailure>();
  #version = 0;
  readonly #listeners = new Set<() => void>();
  /** Referrers by referred automation, as of {@link version} `#referrersAt`. */
  #referrers = new Map<string, Referrer[]>();
  #referrersAt = -1;

  /** Calls `listener` after every change of what serves (MCP tells its clients); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    this.#version++;
    for (const listener of this.#listeners) listener();
  }

  match(segment: string): MountedAutomation | undefined {
    return this.#mounted.get(segment);
  }

  mount(automation: MountedAutomation): void {
    this.#mounted.set(automation.plan.name, automation);
    this.#failures.delete(automation.plan.file);
    this.#changed();
  }

  unmount(name: string): void {
    if (this.#mounted.delete(name)) this.#changed();
  }

  /** The failure of a file whose automation has this name and is not serving at all. */
  unservedFailure(name: string): AutomationFailure | undefined {
    if (this.#mounted.has(name)) return undefined;
    for (const failure of this.#failures.values()) if (failure.name === name) return failure;
    return undefined;
  }

  recordFailure(failure: AutomationFailure): void {
    this.#failures.set(failure.file, failure);
  }

  clearFailure(file: string): void {
    this.#failures.delete(file);
  }

  failureOf(file: string): AutomationFailure | undefined {
    return this.#failures.get(file);
  }

  /** Serving automations, sorted by name (the order OpenAPI and /health list them). */
  serving(): MountedAutomation[] {
    return [...this.#mounted.values()].sort((a, b) => (a.plan.name < b.plan.name ? -1 : 1));
  }

  referrers(name: string): readonly Referrer[] {
    if (this.#referrersAt !== this.#version) {
      const index = new Map<string, Referrer[]>();
      for (const mounted of this.serving()) {
        for (const reference of mounted.plan.references) {
          const list = index.get(reference.automation) ?? [];
          list.push({ mounted, reference });
          index.set(reference.automation, list);
        }
      }
      this.#referrers = index;
      this.#referrersAt = this.#version;
    }
    return this.#referrers.get(name) ?? [];
  }

  failures(): AutomationFailure[] {
    return [...this.#failures.values()].sort((a, b) => (a.file < b.file ? -1 : 1));
  }

  /** Changes whenever the set of serving automations changes (cache key for derived views). */
  get version(): number {
    return this.#version;
  }
}
