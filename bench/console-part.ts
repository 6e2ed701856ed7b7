// Console pages with many automations: one server with BENCH_SCALE_COUNT (1,000) memory
// automations, guarded (the system store holds keys, console users and sessions), and an
// admin signed in. Each page is asked BENCH_CONSOLE_REQUESTS times in turn, one at a time,
// and the server's own time per answer is read from its Server-Timing header (the time the
// console spent, from the request reaching it to the page being ready); the time seen by
// the client is given beside it. The server is pinned to the server core; this process,
// the client, is not on it.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine } from './engine-server.ts';
import type { BenchOptions } from './options.ts';
import { stopProcess } from './processes.ts';

export interface ConsolePage {
  path: string;
  bytes: number;
  /** Server-Timing durations, ms. */
  serverMs: number[];
  /** Request to last byte at the client, ms. */
  clientMs: number[];
}

const PASSWORD = 'bench passphrase for the console';

export async function consolePart(checkout: string, options: BenchOptions): Promise<{ automations: number; pages: ConsolePage[] }> {
  const count = options.scaleCount;
  const engine = await startEngine({
    checkout,
    name: 'console',
    store: 'memory',
    guards: true,
    postgresUrl: options.postgresUrl,
    redisUrl: '',
    core: options.serverCore,
    count,
  });
  try {
    const made = spawnSync(
      process.execPath,
      [
        join(checkout, 'bin/council.mjs'),
        'users',
        'create',
        '--config',
        'council.config.yaml',
        '--email',
        'bench@example.com',
        '--role',
        'admin',
      ],
      { cwd: engine.dir, encoding: 'utf8', timeout: 60_000 },
    );
    const oneTime = made.stdout.trim();
    if (made.status !== 0 || !oneTime) throw new Error(`council users create exited ${made.status}: ${made.stderr}`);
    const session = await signIn(engine.url, oneTime);
    const middle = `console-${Math.floor(count / 2)}`;
    const paths = [
      '/console/automations',
      '/console/automations?q=console-99&state=serving',
      `/console/automations/${middle}`,
      `/console/automations/${middle}/edit`,
      '/console/usage?range=24h',
      '/console/audit',
      '/console/keys',
      '/console/users',
    ];
    const pages: ConsolePage[] = [];
    for (const path of paths) {
      const page: ConsolePage = { path, bytes: 0, serverMs: [], clientMs: [] };
      for (let i = 0; i < options.consoleRequests + 3; i++) {
        const began = performance.now();
        const response = await fetch(`${engine.url}${path}`, { headers: { cookie: session } });
        const body = await response.text();
        const clientMs = performance.now() - began;
        if (response.status !== 200) throw new Error(`console bench: ${path} answered ${response.status}`);
        // The first answers warm the code paths up; they are not counted.
        if (i < 3) continue;
        page.bytes = Buffer.byteLength(body);
        page.clientMs.push(clientMs);
        page.serverMs.push(Number(/app;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1]));
      }
      pages.push(page);
      console.log(`console: ${path} served`);
    }
    return { automations: count, pages };
  } finally {
    await stopProcess(engine.started);
    rmSync(engine.dir, { recursive: true, force: true });
  }
}

/** Signs the bench admin in with its one-time password, chooses a password, and returns the session cookie. */
async function signIn(url: string, oneTime: string): Promise<string> {
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    body: new URLSearchParams(fields),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    redirect: 'manual' as const,
  });
  const login = await fetch(`${url}/console/login`, form({ email: 'bench@example.com', password: oneTime }));
  const cookie = /council_session=[^;]+/.exec(login.headers.getSetCookie().join('\n'))?.[0];
  if (login.status !== 303 || !cookie) throw new Error(`console bench: sign-in answered ${login.status}`);
  const page = await (await fetch(`${url}/console/password`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const changed = await fetch(`${url}/console/password`, {
    ...form({ _csrf: csrf, current: oneTime, password: PASSWORD, confirm: PASSWORD }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
  });
  if (changed.status !== 200) throw new Error(`console bench: choosing a password answered ${changed.status}`);
  return cookie;
}

/** The report's lines: per page, median and p95 of the server's time, the client's median, and the page's size. */
export function consoleLines(result: { automations: number; pages: ConsolePage[] }): string[] {
  const at = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? Number.NaN;
  const lines = [
    `Console pages with ${result.automations.toLocaleString('en-US')} automations (server time from Server-Timing; ${result.pages[0]?.serverMs.length ?? 0} requests each, one at a time, after 3 not counted)`,
    `${'page'.padEnd(52)} ${'server p50'.padStart(10)} ${'server p95'.padStart(10)} ${'client p50'.padStart(10)} ${'KiB'.padStart(7)}`,
  ];
  for (const p of result.pages) {
    lines.push(
      `${p.path.padEnd(52)} ${`${at(p.serverMs, 0.5).toFixed(1)} ms`.padStart(10)} ${`${at(p.serverMs, 0.95).toFixed(1)} ms`.padStart(10)} ${`${at(p.clientMs, 0.5).toFixed(1)} ms`.padStart(10)} ${(p.bytes / 1024).toFixed(0).padStart(7)}`,
    );
  }
  return lines;
}
