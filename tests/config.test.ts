// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the config syntax under test
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type ConfigResult, connectionBackends, loadConfig } from '../engine/config/load.ts';
import type { ManifestIssue } from '../engine/source/issues.ts';

const root = mkdtempSync(join(tmpdir(), 'council-config-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** Writes `text` as a config file in a fresh folder (or `folder` under it) and returns its path. */
function configFile(text: string, folder = ''): string {
  const dir = join(root, `project-${++counter}`, folder);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'council.config.yaml');
  writeFileSync(file, text);
  return file;
}

function at(issues: readonly ManifestIssue[]): [string, number, number][] {
  return issues.map((i) => [i.code, i.line, i.col]);
}

function loaded(result: ConfigResult) {
  assert.deepEqual(result.issues, []);
  assert.ok(result.config);
  return result.config;
}

/** Runs `fn` with the process in `dir`, because the default config path is relative to it. */
function inFolder<T>(dir: string, fn: () => T): T {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(before);
  }
}

describe('environment interpolation', () => {
  test('${VAR} takes the value from the env argument, not from process.env', () => {
    const file = configFile('server:\n  host: ${COUNCIL_TEST_HOST}\n');
    const config = loaded(loadConfig(file, { COUNCIL_TEST_HOST: '127.0.0.1' }));
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(process.env.COUNCIL_TEST_HOST, undefined);
  });

  test('${VAR:-default} falls back to the default when VAR is unset or empty', () => {
    const file = configFile('server:\n  host: ${HOST:-localhost}\n  publicUrl: https://${DOMAIN:-api.example.com}/v1\n');
    assert.equal(loaded(loadConfig(file, {})).server.host, 'localhost');
    assert.equal(loaded(loadConfig(file, { HOST: '' })).server.host, 'localhost');
    assert.equal(loaded(loadConfig(file, { HOST: '10.0.0.1' })).server.host, '10.0.0.1');
    assert.equal(loaded(loadConfig(file, {})).server.publicUrl, 'https://api.example.com/v1');
    assert.equal(loaded(loadConfig(file, { DOMAIN: 'x.test' })).server.publicUrl, 'https://x.test/v1');
  });

  test('an empty default is allowed: ${VAR:-} gives an empty string', () => {
    const file = configFile('connections:\n  main:\n    backend: postgres\n    url: ${DATABASE_URL:-}\n');
    assert.equal(loaded(loadConfig(file, {})).connections.get('main')?.url, '');
  });

  test('a missing variable is config-env-missing at the scalar that uses it', () => {
    const file = configFile(
      ['server:', '  port: 8080', 'connections:', '  main:', '    backend: postgres', '    url: ${DATABASE_URL}', ''].join('\n'),
    );
    const { config, issues } = loadConfig(file, {});
    assert.equal(config, undefined);
    assert.deepEqual(at(issues), [['config-env-missing', 6, 10]]);
    assert.equal(issues[0]?.file, file);
    assert.match(issues[0]?.message ?? '', /DATABASE_URL/);
  });

  test('every missing variable is reported, each at its own scalar', () => {
    const file = configFile('server:\n  host: ${HOST}\n  publicUrl: "${SCHEME}://${DOMAIN}"\n');
    assert.deepEqual(at(loadConfig(file, {}).issues), [
      ['config-env-missing', 2, 9],
      ['config-env-missing', 3, 14],
      ['config-env-missing', 3, 14],
    ]);
  });

  test('values from the environment never appear in issues', () => {
    const secret = 'postgres://admin:s3cret-pa55@db.internal/prod';
    const file = configFile(
      [
        'server:',
        '  port: ${PORT}',
        'connections:',
        '  main:',
        '    backend: postgres',
        '    url: ${DATABASE_URL}',
        '    pool:',
        '      max: ${POOL_MAX}',
        '',
      ].join('\n'),
    );
    const { config, issues } = loadConfig(file, { DATABASE_URL: secret, PORT: 'hunter2', POOL_MAX: 's3cret-pa55' });
    assert.equal(config, undefined);
    assert.deepEqual(at(issues), [
      ['config-invalid', 2, 9],
      ['config-invalid', 8, 12],
    ]);
    const text = JSON.stringify(issues);
    for (const value of ['s3cret', 'hunter2', 'db.internal']) assert.ok(!text.includes(value), `issues reveal ${value}`);
  });
});

describe('types and defaults', () => {
  test('port: ${PORT:-8080} is the integer 8080, and PORT=9000 gives 9000', () => {
    const file = configFile('server:\n  port: ${PORT:-8080}\n');
    assert.equal(loaded(loadConfig(file, {})).server.port, 8080);
    assert.equal(loaded(loadConfig(file, { PORT: '9000' })).server.port, 9000);
  });

  test('a port that is not an integer, or out of range, is config-invalid at the value', () => {
    const file = configFile('server:\n  port: ${PORT:-8080}\n');
    assert.deepEqual(at(loadConfig(file, { PORT: 'eighty' }).issues), [['config-invalid', 2, 9]]);
    assert.deepEqual(at(loadConfig(file, { PORT: '70000' }).issues), [['config-invalid', 2, 9]]);
  });

  test('rateLimit.store must name a redis connection', () => {
    const file = configFile('rateLimit:\n  requests: 10\n  perSeconds: 1\n  store: memory\n');
    const { issues } = loadConfig(file, {});
    assert.deepEqual(at(issues), [['config-invalid', 4, 10]]);
    assert.match(issues[0]?.message ?? '', /must name a redis connection; "memory" is a memory connection/);
    const fine = configFile('rateLimit:\n  requests: 10\n  perSeconds: 1\n  store: redis\n');
    assert.equal(loaded(loadConfig(fine, {})).rateLimit.store, 'redis');
  });

  test('server.metricsPort with metrics.enabled false is config-invalid at metricsPort', () => {
    const file = configFile('server:\n  metricsPort: 9464\nmetrics:\n  enabled: false\n');
    const { issues } = loadConfig(file, {});
    assert.deepEqual(at(issues), [['config-invalid', 2, 16]]);
    assert.match(issues[0]?.message ?? '', /metrics\.enabled is false; remove one of the two/);
    assert.equal(loaded(loadConfig(configFile('metrics:\n  enabled: false\n'), {})).metrics.enabled, false);
    assert.equal(loaded(loadConfig(configFile(''), {})).metrics.enabled, true);
  });

  test('a defaultLimit above maxLimit is config-invalid at defaultLimit', () => {
    const file = configFile('pagination:\n  defaultLimit: 50\n  maxLimit: 10\n');
    const { issues } = loadConfig(file, {});
    assert.deepEqual(at(issues), [['config-invalid', 2, 17]]);
    assert.match(issues[0]?.message ?? '', /defaultLimit \(50\) is above maxLimit \(10\)/);
    assert.deepEqual(loaded(loadConfig(configFile('pagination:\n  defaultLimit: 10\n  maxLimit: 10\n'), {})).pagination, {
      defaultLimit: 10,
      maxLimit: 10,
      maxResponseChars: 50000,
      maxBatch: 100,
    });
  });

  test('an empty file gets every default', () => {
    const config = loaded(loadConfig(configFile(''), {}));
    assert.deepEqual(config.server, {
      port: 8080,
      host: '0.0.0.0',
      bodyLimit: 1048576,
      requestTimeoutSeconds: 20,
      shutdownGraceSeconds: 0,
      shutdownTimeoutSeconds: 30,
      corsOrigins: [],
      metricsHost: '127.0.0.1',
      accessLog: false,
      trustedProxies: [],
    });
    assert.deepEqual(config.pagination, { defaultLimit: 20, maxLimit: 100, maxResponseChars: 50000, maxBatch: 100 });
  });

  test('defaults fill what a section leaves out, and explicit values win', () => {
    const config = loaded(loadConfig(configFile('server:\n  port: 3000\npagination:\n  maxLimit: 500\n'), {}));
    assert.deepEqual(config.server, {
      port: 3000,
      host: '0.0.0.0',
      bodyLimit: 1048576,
      requestTimeoutSeconds: 20,
      shutdownGraceSeconds: 0,
      shutdownTimeoutSeconds: 30,
      corsOrigins: [],
      metricsHost: '127.0.0.1',
      accessLog: false,
      trustedProxies: [],
    });
    assert.deepEqual(config.pagination, { defaultLimit: 20, maxLimit: 500, maxResponseChars: 50000, maxBatch: 100 });
    const limited = loaded(loadConfig(configFile('server:\n  bodyLimit: 4096\n'), {}));
    assert.equal(limited.server.bodyLimit, 4096);
  });

  test('an empty publicUrl means none', () => {
    const config = loaded(loadConfig(configFile('server:\n  publicUrl: ${PUBLIC_URL:-}\n'), {}));
    assert.ok(!config.server.publicUrl);
  });

  test('connections keep their settings and gain their name; the built-in postgres, redis, mongodb, opensearch, elasticsearch, dynamodb and memory stay unless redefined', () => {
    const file = configFile(
      [
        'connections:',
        '  main:',
        '    backend: postgres',
        '    url: postgres://localhost/app',
        '    pool: { max: 5, idleTimeoutSeconds: 30 }',
        '  cache:',
        '    backend: memory',
        '',
      ].join('\n'),
    );
    const config = loaded(loadConfig(file, {}));
    assert.deepEqual(config.connections.get('main'), {
      name: 'main',
      backend: 'postgres',
      url: 'postgres://localhost/app',
      pool: { max: 5, idleTimeoutSeconds: 30 },
    });
    assert.deepEqual(config.connections.get('cache'), { name: 'cache', backend: 'memory' });
    assert.deepEqual(
      connectionBackends(config),
      new Map([
        ['postgres', 'postgres'],
        ['redis', 'redis'],
        ['mongodb', 'mongodb'],
        ['opensearch', 'opensearch'],
        ['elasticsearch', 'elasticsearch'],
        ['dynamodb', 'dynamodb'],
        ['memory', 'memory'],
        ['main', 'postgres'],
        ['cache', 'memory'],
      ]),
    );
    const redefined = loaded(loadConfig(configFile('connections:\n  postgres: { backend: postgres, url: postgres://db/x }\n'), {}));
    assert.equal(redefined.connections.get('postgres')?.url, 'postgres://db/x');
  });
});

describe('paths', () => {
  test('relative automations and dataDir are resolved against the config file folder, not the working directory', () => {
    const file = configFile('automations: ../manifests\ndataDir: state/db\n', 'config');
    const folder = join(root, `project-${counter}`);
    const config = loaded(inFolder(tmpdir(), () => loadConfig(file, {})));
    assert.equal(config.file, file);
    assert.equal(config.automations, join(folder, 'manifests'));
    assert.equal(config.dataDir, join(folder, 'config', 'state', 'db'));
  });

  test('default automations and dataDir sit next to the config file', () => {
    const file = configFile('');
    const folder = join(root, `project-${counter}`);
    const config = loaded(loadConfig(file, {}));
    assert.equal(config.automations, join(folder, 'automations'));
    assert.equal(config.dataDir, join(folder, '.council', 'data'));
  });

  test('absolute paths are kept', () => {
    const elsewhere = join(root, 'elsewhere');
    const config = loaded(loadConfig(configFile(`automations: ${elsewhere}\ndataDir: ${elsewhere}/data\n`), {}));
    assert.equal(config.automations, elsewhere);
    assert.equal(config.dataDir, join(elsewhere, 'data'));
  });
});

describe('config-invalid', () => {
  test('schema violations are config-invalid at the offending node, all of them', () => {
    const file = configFile(
      [
        '# a config with four mistakes',
        'server:',
        '  port: 70000',
        '  hots: localhost',
        'pagination:',
        '  defaultLimit: 0',
        'connections:',
        '  main:',
        '    backend: mongo',
        '',
      ].join('\n'),
    );
    const { config, issues } = loadConfig(file, {});
    assert.equal(config, undefined);
    assert.deepEqual(
      at(issues).sort((a, b) => a[1] - b[1]),
      [
        ['config-invalid', 3, 9],
        ['config-invalid', 4, 3],
        ['config-invalid', 6, 17],
        ['config-invalid', 9, 14],
      ],
    );
    const unknown = issues.find((i) => i.line === 4);
    assert.match(unknown?.message ?? '', /unknown property "hots" \(did you mean "host"\?\)/);
    assert.equal(unknown?.pointer, '/server/hots');
    assert.match(issues.find((i) => i.line === 9)?.message ?? '', /must be one of: memory, postgres/);
  });

  test('a connection without a backend points at the connection mapping', () => {
    const file = configFile('connections:\n  main:\n    url: postgres://localhost/app\n');
    assert.deepEqual(at(loadConfig(file, {}).issues), [['config-invalid', 3, 5]]);
  });

  test('a connection name that cannot be referenced from a manifest is config-invalid', () => {
    const file = configFile('connections:\n  1st:\n    backend: memory\n');
    const { issues } = loadConfig(file, {});
    assert.equal(issues.length > 0, true);
    assert.ok(issues.every((i) => i.code === 'config-invalid'));
  });

  test('a YAML error in the config is yaml-syntax', () => {
    const file = configFile('server:\n  port: 8080\n  port: 9090\n');
    assert.deepEqual(at(loadConfig(file, {}).issues), [['yaml-syntax', 3, 3]]);
  });
});

describe('finding the config file', () => {
  test('an explicit config file that does not exist is file-unreadable', () => {
    const missing = join(root, 'nowhere', 'council.config.yaml');
    const { config, issues } = loadConfig(missing, {});
    assert.equal(config, undefined);
    assert.deepEqual(
      issues.map((i) => [i.code, i.file, i.line, i.col]),
      [['file-unreadable', missing, 1, 1]],
    );
  });

  test('an explicit config path that is a folder is file-unreadable, not an exception', () => {
    const folder = join(root, 'a-folder');
    mkdirSync(folder, { recursive: true });
    assert.deepEqual(at(loadConfig(folder, {}).issues), [['file-unreadable', 1, 1]]);
  });

  test('no config file at the default path: built-in defaults with postgres (embedded), redis, mongodb, opensearch, elasticsearch and dynamodb (on memory without a url) and memory connections', () => {
    const empty = mkdtempSync(join(root, 'empty-'));
    const { result, cwd } = inFolder(empty, () => ({ result: loadConfig(undefined, {}), cwd: process.cwd() }));
    const config = loaded(result);
    assert.equal(config.file, undefined);
    assert.deepEqual(
      [...config.connections.values()],
      [
        { name: 'postgres', backend: 'postgres', url: '' },
        { name: 'redis', backend: 'redis', url: '' },
        { name: 'mongodb', backend: 'mongodb', url: '' },
        { name: 'opensearch', backend: 'opensearch', url: '' },
        { name: 'elasticsearch', backend: 'elasticsearch', url: '' },
        { name: 'dynamodb', backend: 'dynamodb', url: '' },
        { name: 'memory', backend: 'memory' },
      ],
    );
    assert.equal(config.automations, join(cwd, 'automations'));
    assert.equal(config.dataDir, join(cwd, '.council', 'data'));
    assert.deepEqual(config.pagination, { defaultLimit: 20, maxLimit: 100, maxResponseChars: 50000, maxBatch: 100 });
    assert.equal(config.server.port, 8080);
  });

  test('a council.config.yaml in the working directory is used when no file is given', () => {
    const file = configFile('server:\n  port: 4000\n');
    const folder = join(root, `project-${counter}`);
    const config = loaded(inFolder(folder, () => loadConfig(undefined, {})));
    assert.equal(config.server.port, 4000);
    assert.equal(config.file, file);
  });

  test('the shipped council.config.yaml loads with an empty environment', () => {
    const shipped = new URL('../council.config.yaml', import.meta.url).pathname;
    const config = loaded(loadConfig(shipped, {}));
    assert.deepEqual(
      [...connectionBackends(config)],
      [
        ['postgres', 'postgres'],
        ['redis', 'redis'],
        ['mongodb', 'mongodb'],
        ['opensearch', 'opensearch'],
        ['elasticsearch', 'elasticsearch'],
        ['dynamodb', 'dynamodb'],
        ['memory', 'memory'],
      ],
    );
    assert.equal(config.connections.get('redis')?.url, '', 'no REDIS_URL: redis runs on memory');
    assert.equal(config.connections.get('mongodb')?.url, '', 'no MONGODB_URL: mongodb runs on memory');
    assert.equal(config.connections.get('opensearch')?.url, '', 'no OPENSEARCH_URL: opensearch runs on memory');
    assert.equal(config.connections.get('elasticsearch')?.url, '', 'no ELASTICSEARCH_URL: elasticsearch runs on memory');
    assert.equal(config.connections.get('dynamodb')?.url, '', 'no DYNAMODB_ENDPOINT: dynamodb runs on memory');
    assert.equal(config.server.port, 8080);
  });
});
