import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/**
 * A headless Chromium for tests that need a real browser: the system's own (Debian's
 * `chromium` package; `CHROMIUM_PATH` points elsewhere), driven by playwright-core, which
 * downloads nothing. Without one the suite is skipped with one plain line, unless
 * `COUNCIL_TEST_REQUIRE` names `browser` (as CI does): then it fails.
 */
export function browserGate(): { readonly skip: string | false; readonly executable: string } {
  const executable = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(executable)) return { skip: false, executable };
  const reason = `browser suites skipped: no Chromium at ${executable} (install Debian's chromium package, or set CHROMIUM_PATH)`;
  const required = (process.env.COUNCIL_TEST_REQUIRE ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (required.includes('browser')) throw new Error(`${reason}; COUNCIL_TEST_REQUIRE includes "browser", so they must run`);
  console.log(`# ${reason}`);
  return { skip: reason, executable };
}

/** A fresh profile each time; nothing reaches the network a test does not allow (see `offline`). */
export async function launchBrowser(executable: string): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'council-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: executable,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Aborts every request that does not go to the loopback interface, and records it: a
 * page that works with this in place works without internet access.
 */
export async function offline(context: BrowserContext): Promise<string[]> {
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const local = url.protocol === 'data:' || url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
    if (local) return route.continue();
    blocked.push(url.href);
    return route.abort('internetdisconnected');
  });
  return blocked;
}
