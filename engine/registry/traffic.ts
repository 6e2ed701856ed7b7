/**
 * Requests in flight on one version of an automation. A reload swaps versions between
 * requests; the old one finishes what it started, and whoever retires it waits for
 * {@link whenIdle} before releasing what only it used.
 */
export class Traffic {
  active = 0;
  #idle: (() => void)[] = [];

  leave(): void {
    if (--this.active === 0 && this.#idle.length) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Resolves once no request is in flight (at once if none is). */
  whenIdle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }
}
