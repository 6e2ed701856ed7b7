import { recordNames } from '../manifest/load.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { referencesOf } from '../schema/references.ts';

/**
 * The serving manifests by automation name and by published record name, so a reload
 * checks a file's names against everything that keeps serving without walking it all.
 */
export class NameIndex {
  readonly #byName = new Map<string, LoadedManifest>();
  readonly #byRecordName = new Map<string, LoadedManifest>();
  /** `<target>/<inverse>`: the manifest whose reference publishes that reverse list. */
  readonly #byInverse = new Map<string, LoadedManifest>();

  /** The serving manifest named `name`. */
  name(name: string): LoadedManifest | undefined {
    return this.#byName.get(name);
  }

  /** The serving manifest that publishes record name `name`. */
  recordName(name: string): LoadedManifest | undefined {
    return this.#byRecordName.get(name);
  }

  /** The serving manifest whose reference publishes `/<target>/{id}/<inverse>`. */
  inverse(target: string, inverse: string): LoadedManifest | undefined {
    return this.#byInverse.get(`${target}/${inverse}`);
  }

  /** Every serving automation name. */
  names(): Iterable<string> {
    return this.#byName.keys();
  }

  /** Replaces a file's serving manifest: `before` leaves (where still indexed as its own), `after` comes in. */
  replace(before: LoadedManifest | undefined, after: LoadedManifest | undefined): void {
    if (before) {
      if (this.#byName.get(before.manifest.name) === before) this.#byName.delete(before.manifest.name);
      for (const n of recordNames(before)) if (this.#byRecordName.get(n) === before) this.#byRecordName.delete(n);
      for (const key of inverseKeys(before)) if (this.#byInverse.get(key) === before) this.#byInverse.delete(key);
    }
    if (after) {
      this.#byName.set(after.manifest.name, after);
      for (const n of recordNames(after)) this.#byRecordName.set(n, after);
      for (const key of inverseKeys(after)) this.#byInverse.set(key, after);
    }
  }
}

function inverseKeys(loaded: LoadedManifest): string[] {
  return referencesOf(loaded.manifest).map((r) => `${r.automation}/${r.inverse}`);
}
