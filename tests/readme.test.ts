import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../engine/config/load.ts';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { brokenPromise, type ShellCommand, shellBlocks } from './support/shell-examples.ts';

/**
 * README.md's shell examples run as printed. Every ```sh block is run through `sh`, in a
 * copy of this project (its automations and council.config.yaml, and a package.json whose
 * `council` script is this checkout's) with a real server started on it, as a reader in a
 * second terminal would. The one change made to the text is the port (`localhost:8080`
 * becomes the test server's). Each command must exit 0; each HTTP answer must have the
 * status its comments name (2xx when they name none) and match the JSON shown under it. A
 * block that cannot run here says why in an HTML comment right above it, which the test
 * prints. curl runs as itself, through a wrapper that only reports each status on stderr.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** Store URLs left out, so the copy serves as a fresh checkout does (embedded PGlite, memory). */
const STORE_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'MONGODB_URL', 'OPENSEARCH_URL', 'DYNAMODB_ENDPOINT', 'PORT', 'HOST', 'PUBLIC_URL'];

const curlPath = spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim();
const skip = curlPath ? false : 'README examples skipped: no curl on PATH (the README uses it)';
if (skip) console.log(`# ${skip}`);

interface Ran {
  readonly command: ShellCommand;
  readonly code: number;
  readonly stdout: string;
  readonly statuses: number[];
}

describe('README.md shell examples', { skip }, () => {
  let dir: string;
  let server: RunningServer;
  let env: NodeJS.ProcessEnv;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'council-readme-'));
    cpSync(join(ROOT, 'automations'), join(dir, 'automations'), { recursive: true });
    cpSync(join(ROOT, 'council.config.yaml'), join(dir, 'council.config.yaml'));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'readme-tour', private: true, scripts: { council: `node ${join(ROOT, 'bin', 'council.mjs')}` } }),
    );
    // The real curl, reporting each answer's status on stderr (its output is untouched).
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'curl'), `#!/bin/sh\nexec ${curlPath} "$@" -w '%{stderr}@@status %{http_code}@@\\n'\n`);
    chmodSync(join(dir, 'bin', 'curl'), 0o755);
    env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !STORE_VARIABLES.includes(name)));
    env.PATH = `${join(dir, 'bin')}:${process.env.PATH ?? ''}`;
    const { config } = loadConfig(join(dir, 'council.config.yaml'), env);
    assert.ok(config);
    server = await listen({ ...config, server: { ...config.server, port: 0, host: '127.0.0.1' } }, silentLogger, {
      watch: { debounceMs: 50 },
    });
    base = server.url;
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a block's commands in one `sh`, in order (so `export` and `alias` carry on), each followed by a marker. */
  async function run(commands: readonly ShellCommand[]): Promise<Ran[]> {
    const port = new URL(base).port;
    const script = commands
      .map(
        (c) => `${c.text.replaceAll('localhost:8080', `127.0.0.1:${port}`)}\ns=$?; printf '\\n@@end %s@@\\n' "$s"; printf '@@end@@\\n' >&2`,
      )
      .join('\n');
    const child = spawn('sh', ['-c', script], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    const outs = stdout.split(/\n@@end (\d+)@@\n/);
    const errs = stderr.split('@@end@@\n');
    return commands.map((command, i) => ({
      command,
      stdout: (outs[2 * i] ?? '').trim(),
      code: Number(outs[2 * i + 1] ?? Number.NaN),
      statuses: [...(errs[i] ?? '').matchAll(/@@status (\d{3})@@/g)].map((m) => Number(m[1])),
    }));
  }

  /** The status the comments around a command name: the promised JSON's, a 3-digit code in its comments, or none (any 2xx). */
  function expectedStatus(command: ShellCommand): number | undefined {
    const promised = command.promised as { status?: unknown } | undefined;
    if (typeof promised?.status === 'number') return promised.status;
    const named = /\b([1-5]\d\d)\b/.exec([command.trailing, ...command.before].join(' '));
    return named ? Number(named[1]) : undefined;
  }

  function check(ran: Ran, t: { diagnostic(message: string): void }): void {
    const { command } = ran;
    const where = `README.md:${command.line}: ${command.text.split('\n')[0]}`;
    assert.equal(ran.code, 0, `${where} exits ${ran.code}:\n${ran.stdout}`);
    if (!/^curl\b/.test(command.text.trim())) return;
    const wanted = expectedStatus(command);
    assert.ok(ran.statuses.length > 0, `${where}: no HTTP answer`);
    for (const status of ran.statuses) {
      if (wanted === undefined) assert.ok(status >= 200 && status < 300, `${where}: status ${status}:\n${ran.stdout.slice(0, 500)}`);
      else assert.equal(status, wanted, `${where}:\n${ran.stdout.slice(0, 500)}`);
    }
    if (/\s-\w*i\b/.test(command.text)) {
      assert.match(ran.stdout, /^HTTP\/[\d.]+ \d{3}/, `${where}: headers first`);
      t.diagnostic(`${where}: ${ran.statuses.join(', ')}`);
      return;
    }
    let answer: unknown;
    assert.doesNotThrow(
      () => {
        answer = JSON.parse(ran.stdout);
      },
      `${where}: the answer is JSON:\n${ran.stdout.slice(0, 300)}`,
    );
    if (command.promised !== undefined) {
      const broken = brokenPromise(command.promised, answer);
      assert.equal(
        broken,
        undefined,
        `${where}: the answer is not what the comment under it shows: ${broken}\n${ran.stdout.slice(0, 800)}`,
      );
    }
    t.diagnostic(`${where}: ${ran.statuses.join(', ')}${command.promised === undefined ? '' : ', as shown'}`);
  }

  const blocks = shellBlocks(README);

  it('every sh block is run, or says above it why it cannot be', () => {
    assert.ok(blocks.length >= 3, `${blocks.length} sh blocks`);
    for (const block of blocks) {
      if (block.notRun !== undefined) {
        assert.ok(block.notRun.length > 10, `README.md:${block.line}: say why it is not run`);
        console.log(`# README.md:${block.line} not run: ${block.notRun}`);
      }
    }
    assert.ok(blocks.filter((b) => !b.notRun).length >= 2, 'the tour and adding an automation run');
  });

  for (const block of blocks.filter((b) => b.notRun === undefined)) {
    it(`README.md:${block.line}: ${block.commands[0]?.text.split('\n')[0]}`, async (t) => {
      for (const ran of await run(block.commands)) check(ran, t);
      // "a running server picks the new file up by itself (no restart)"
      if (block.commands.some((c) => /council -- new tickets/.test(c.text))) {
        assert.ok(existsSync(join(dir, 'automations', 'tickets.yaml')));
        const key = (
          await run([{ ...block.commands[0], text: 'npm run -s council -- keys create --name check --scopes "*"' } as ShellCommand])
        )[0];
        let status = 0;
        for (let i = 0; i < 100 && status !== 200; i++) {
          status = (await fetch(`${base}/tickets`, { headers: { authorization: `Bearer ${key?.stdout}` } })).status;
          if (status !== 200) await sleep(100);
        }
        assert.equal(status, 200, 'the running server serves the new automation without a restart');
        t.diagnostic('the new automation answered GET /tickets without a restart');
      }
    });
  }
});
