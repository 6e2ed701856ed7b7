// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the config syntax under test
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createLogger, type LogSettings } from '../engine/cli/logger.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { runNode } from './support/process.ts';
import { freePort } from './support/redis-server.ts';
import { type LogLine, logLines, type ServeProcess, serveProcess } from './support/serve-process.ts';

/**
 * The server's log (operations.md, "Logs"): `council serve` writes JSON lines on stdout, at
 * the level LOG_LEVEL chooses; a 500's line carries the id its answer carries as
 * X-Request-Id; no secret (a connection URL's password, an Authorization header) ever
 * reaches a line; a LOG_LEVEL or LOG_FORMAT not allowed stops the start with one clear line.
 */
const BIN = fileURLToPath(new URL('../bin/council.mjs', import.meta.url));
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const env = { ...process.env, PORT: '', DATABASE_URL: '', NODE_OPTIONS: '', NODE_ENV: '', LOG_LEVEL: '', LOG_FORMAT: '' };

/** A logger writing into a string, and what it wrote so far. */
function capture(settings: Partial<LogSettings> = {}) {
  let text = '';
  const logger = createLogger({
    level: 'info',
    format: 'json',
    destination: {
      write: (line: string) => {
        text += line;
      },
    },
    ...settings,
  });
  const lines = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  return { logger, text: () => text, lines };
}

describe('createLogger', () => {
  it('writes one JSON object a line: level as a label, ISO time, the fields, msg', () => {
    const { logger, text, lines } = capture();
    logger.info('reload', { trigger: 'start', ms: 412.5 });
    logger.warn('plain');
    logger.error('request failed', { requestId: 'r-1', status: 500 });
    assert.ok(text().endsWith('}\n'), 'every line ends with a newline');
    const parsed = lines();
    for (const line of parsed) assert.match(line.time, ISO_TIME);
    assert.deepEqual(
      parsed.map(({ time: _, ...rest }) => rest),
      [
        { level: 'info', trigger: 'start', ms: 412.5, msg: 'reload' },
        { level: 'warn', msg: 'plain' },
        { level: 'error', requestId: 'r-1', status: 500, msg: 'request failed' },
      ],
    );
  });

  it('writes what its level lets through, nothing at silent', () => {
    for (const [level, expected] of [
      ['debug', ['info', 'warn', 'error']],
      ['info', ['info', 'warn', 'error']],
      ['warn', ['warn', 'error']],
      ['error', ['error']],
      ['fatal', []],
      ['silent', []],
    ] as const) {
      const { logger, lines } = capture({ level });
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      assert.deepEqual(
        lines().map((line) => line.level),
        expected,
        `LOG_LEVEL=${level}`,
      );
    }
  });

  it('never writes a secret: fields named for one are censored, a URL loses its credentials', () => {
    const { logger, text, lines } = capture();
    logger.error('cannot reach postgres://app:pw-in-message@db:5432/shop', {
      authorization: 'Bearer ck_secret-header',
      'x-api-key': 'ck_secret-api-key',
      apiKey: 'ck_secret-field',
      password: 'pw-field',
      headers: { authorization: 'Bearer ck_secret-nested', cookie: 'session=secret-cookie' },
      url: 'redis://:pw-in-url@cache:6379',
      error: 'connect failed (mongodb://user:p@ss-with-at@mongo/x)',
    });
    const [line] = lines();
    assert.doesNotMatch(text(), /secret|pw-|ss-with-at/, text());
    assert.equal(line.msg, 'cannot reach postgres://***@db:5432/shop');
    assert.equal(line.url, 'redis://***@cache:6379');
    assert.equal(line.error, 'connect failed (mongodb://***@mongo/x)');
    assert.equal(line.authorization, '[redacted]');
    assert.equal(line.headers.cookie, '[redacted]');
  });

  it('pretty lines are for people: time, level, message and the fields on one line', () => {
    const { logger, text } = capture({ format: 'pretty' });
    logger.info('one', { n: 1 });
    assert.match(text(), /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: one \{"n":1\}\n$/);
  });
});

const pg = await postgresServerGate();

describe('council serve: the log', { skip: pg.skip, timeout: 180_000 }, () => {
  const table = `logged_${process.pid}_${Date.now().toString(36)}`;
  const name = table.replaceAll('_', '-');
  const root = mkdtempSync(join(tmpdir(), 'council-logs-'));
  // The test server trusts loopback, so a password in the URL is never checked, only carried.
  const pgUrl = new URL(pg.url);
  pgUrl.password = 'pw-of-the-served-store';
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  let served: ServeProcess | undefined;
  after(async () => {
    await served?.stop();
    rmSync(root, { recursive: true, force: true });
    await sql`drop table if exists ${sql(table)}`;
    await sql.end({ timeout: 1 });
  });

  const serve = async (logEnv: Record<string, string>) => {
    await served?.stop();
    const downUrl = `postgres://council:pw-of-the-down-store@127.0.0.1:${await freePort()}/shop`;
    served = await serveProcess(['--port', '0', '--no-watch', '--data', 'data'], {
      cwd: root,
      env: { ...env, LOGS_PG_URL: pgUrl.href, LOGS_DOWN_URL: downUrl, ...logEnv },
    });
    return served;
  };
  /** A GET answered 500: its table dropped behind the server's back (each start creates it again). */
  const failOnce = async (server: ServeProcess, headers: Record<string, string> = {}) => {
    await sql`drop table if exists ${sql(table)}`;
    const answer = await fetch(`${server.url}/${name}`, { headers: { authorization: 'Bearer ck_never-logged', ...headers } });
    assert.equal(answer.status, 500, await answer.text());
    const requestId = answer.headers.get('x-request-id');
    assert.ok(requestId, 'a 500 carries X-Request-Id');
    const line = await logged(server, (l) => l.msg === 'request failed' && l.requestId === requestId);
    return { requestId, line };
  };

  it('is JSON lines on stdout; a 500 is logged under the id its answer carries; no secret shows', async () => {
    mkdirSync(join(root, 'automations'));
    writeFileSync(
      join(root, 'council.config.yaml'),
      'server: { port: 0, host: 127.0.0.1 }\naudit: { enabled: false }\nconnections:\n' +
        '  pgs: { backend: postgres, url: "${LOGS_PG_URL}" }\n  down: { backend: postgres, url: "${LOGS_DOWN_URL}" }\n',
    );
    const manifest = (automation: string, connection: string) => `name: ${automation}
description: Records whose table an operator drops by mistake.
access: { public: true }
storage: { backend: postgres, connection: ${connection} }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 100 }
endpoints:
  - operation: list
  - operation: create
`;
    writeFileSync(join(root, 'automations', `${name}.yaml`), manifest(name, 'pgs'));
    // Its store cannot be reached: the start logs that, naming the connection and never its URL.
    writeFileSync(join(root, 'automations', 'unreachable.yaml'), manifest('unreachable', 'down'));
    const server = await serve({ LOG_LEVEL: 'info' });
    const { requestId, line } = await failOnce(server);
    assert.match(requestId, /^[0-9a-f-]{36}$/);
    assert.equal(line.level, 'error');
    assert.match(line.time, ISO_TIME);
    assert.equal(line.automation, name);
    assert.equal(line.status, 500);
    assert.match(String(line.error), new RegExp(`relation "${table}" does not exist`));
    const kept = await failOnce(server, { 'x-request-id': 'support-ticket-7' });
    assert.equal(kept.requestId, 'support-ticket-7', "the caller's plain id is the one logged");
    server.child.kill('SIGHUP');
    await logged(server, (l) => l.level === 'info' && l.msg === 'SIGHUP: reloading the config and every automation');

    assert.equal(server.stderr(), '', 'all of it on stdout');
    const output = server.output();
    const lines = logLines(output);
    for (const l of lines) {
      assert.ok(['info', 'warn', 'error'].includes(l.level), JSON.stringify(l));
      assert.match(l.time, ISO_TIME);
    }
    assert.ok(
      lines.some((l) => l.msg.includes('postgres connection "down" is unavailable')),
      `the unreachable store is logged:\n${output}`,
    );
    for (const secret of ['pw-of-the-served-store', 'pw-of-the-down-store', 'ck_never-logged']) {
      assert.ok(!output.includes(secret), `${secret} shows:\n${output}`);
    }
    await server.stop();
  });

  it('LOG_LEVEL=error writes errors only', async () => {
    // From here on every manifest loads: a start at info writes `reload` as an info line (below).
    rmSync(join(root, 'automations', 'unreachable.yaml'));
    const server = await serve({ LOG_LEVEL: 'error' });
    const { requestId } = await failOnce(server);
    assert.deepEqual(
      logLines(server.output()).map((l) => [l.level, l.msg, l.requestId]),
      [['error', 'request failed', requestId]],
      'neither the warnings nor the start-up reload line',
    );
    await server.stop();
  });

  it('LOG_FORMAT=pretty writes lines for people even into a pipe', async () => {
    const server = await serve({ LOG_FORMAT: 'pretty' });
    assert.deepEqual(logLines(server.output()), [], 'no JSON line');
    assert.match(server.output(), /^\[[\d-]+ [\d:.]+\] INFO: reload \{"trigger":"start","ms":[\d.]+,"loaded":"logged-[\w-]+"\}$/m);
    await server.stop();
  });

  it('a LOG_LEVEL or LOG_FORMAT not allowed stops the start: one line naming the allowed values, exit 2', async () => {
    for (const [variable, value, allowed] of [
      ['LOG_LEVEL', 'verbose', 'trace, debug, info, warn, error, fatal, silent'],
      ['LOG_FORMAT', 'xml', 'json, pretty'],
    ] as const) {
      const run = await runNode([BIN, 'serve', '--port', '0', '--data', 'data'], { cwd: root, env: { ...env, [variable]: value } });
      // Before the config is read (its variables are not even set here), and before anything starts.
      assert.equal(run.status, 2, run.stderr);
      assert.equal(run.stderr.split('\n')[0], `council serve: ${variable} must be one of ${allowed}; got "${value}"`);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(run.stdout, '', 'nothing started');
    }
  });
});

/** The first line `match` accepts, waiting up to 10 s for the process to write it. */
async function logged(server: ServeProcess, match: (line: LogLine) => boolean): Promise<LogLine> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = logLines(server.output()).find(match);
    if (found) return found;
    assert.ok(Date.now() < deadline, `no such line yet:\n${server.output()}`);
    await sleep(20);
  }
}
