import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Log as SarifLog } from 'sarif';
import { type Run, runCouncil } from './support/council-command.ts';

/**
 * `council diff` on a scratch git repository: a catalogue of manifest changes, each made
 * in the work tree against the committed widgets.yaml, classified breaking or additive
 * with the storage consequence where records are concerned.
 */
const env = {
  ...process.env,
  PORT: '',
  DATABASE_URL: '',
  NODE_OPTIONS: '',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};

const WIDGETS = `name: widgets
description: Widgets for the diff catalogue.
storage: { backend: memory }
schema:
  type: object
  required: [name]
  properties:
    name: { type: string, maxLength: 50, description: The name. }
    color: { type: string, enum: [red, blue], description: The color. }
    size: { type: integer, minimum: 1, maximum: 10, description: The size. }
endpoints:
  - { operation: list, filters: [color] }
  - { operation: get }
  - { operation: create }
  - { operation: delete }
`;

interface Change {
  readonly kind: 'breaking' | 'additive';
  readonly where: string;
  readonly message: string;
  readonly storage?: string;
  readonly line: number;
  readonly col: number;
  readonly accepted?: { readonly by: 'version' | 'acceptedChanges'; readonly reason: string };
}

let repo: string;
before(() => {
  repo = mkdtempSync(join(tmpdir(), 'council-diff-'));
  mkdirSync(join(repo, 'automations'));
  writeFileSync(
    join(repo, 'council.config.yaml'),
    'connections:\n  memory: { backend: memory }\n  postgres: { backend: postgres, url: "" }\n',
  );
  writeFileSync(join(repo, 'automations', 'widgets.yaml'), WIDGETS);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'widgets');
});
after(() => rmSync(repo, { recursive: true, force: true }));

function diff(args: readonly string[] = []): Promise<Run> {
  return runCouncil(repo, ['diff', ...args], env);
}

/** The changes `council diff --format json` lists with `edit` applied to the work tree (undone after). */
async function changesWith(
  edit: (text: string) => string | undefined,
  extra?: Record<string, string>,
): Promise<{ code: number; changes: Change[] }> {
  const file = join(repo, 'automations', 'widgets.yaml');
  const next = edit(WIDGETS);
  if (next === undefined) unlinkSync(file);
  else writeFileSync(file, next);
  for (const [name, text] of Object.entries(extra ?? {})) writeFileSync(join(repo, 'automations', name), text);
  try {
    const run = await diff(['--format', 'json']);
    assert.ok(run.stdout.startsWith('{'), `council diff printed no document (exit ${run.code}): ${run.stderr}`);
    const document = JSON.parse(run.stdout) as { changes: Change[] };
    return { code: run.code, changes: document.changes };
  } finally {
    writeFileSync(file, WIDGETS);
    for (const name of Object.keys(extra ?? {})) unlinkSync(join(repo, 'automations', name));
  }
}

/** `council diff ...args` with widgets.yaml as `text` in the work tree (restored after). */
async function runWith(text: string, args: readonly string[]): Promise<Run> {
  const file = join(repo, 'automations', 'widgets.yaml');
  writeFileSync(file, text);
  try {
    return await diff(args);
  } finally {
    writeFileSync(file, WIDGETS);
  }
}

const CATALOGUE: readonly {
  readonly change: string;
  readonly edit: (text: string) => string | undefined;
  readonly extra?: Record<string, string>;
  readonly kind: 'breaking' | 'additive';
  readonly message: RegExp;
  readonly storage?: RegExp;
}[] = [
  {
    change: 'an operation removed',
    edit: (t) => t.replace('  - { operation: delete }\n', ''),
    kind: 'breaking',
    message: /^DELETE \/widgets\/\{id\} is removed$/,
  },
  {
    change: 'the record renamed (singular), so every operation id',
    edit: (t) => t.replace('description: Widgets for', 'singular: gadget\ndescription: Widgets for'),
    kind: 'breaking',
    message: /^operationId getWidget becomes getGadget: the MCP tool and the GPT Action operation named getWidget are gone$/,
  },
  {
    change: 'an earlier version served beside a raised one',
    edit: (t) =>
      t
        .replace('storage: { backend: memory }', 'version: 2\nstorage: { backend: memory }')
        .replace(
          'endpoints:',
          'versions:\n  1:\n    deprecated: { sunset: 2099-01-31 }\n    schema:\n      type: object\n      required: [name]\n      properties:\n        name: { type: string, maxLength: 50, description: The name. }\n        color: { type: string, enum: [red, blue], description: The color. }\n        size: { type: integer, minimum: 1, maximum: 10, description: The size. }\nendpoints:',
        ),
    kind: 'additive',
    message: /^GET \/v1\/widgets\/\{id\} is added$/,
  },
  {
    change: 'an operation added',
    edit: (t) => `${t}  - { operation: update }\n`,
    kind: 'additive',
    message: /^PATCH \/widgets\/\{id\} is added$/,
  },
  {
    change: 'a property removed (request side)',
    edit: (t) => t.replace(/ {4}color: .*\n/, '').replace('filters: [color]', 'filters: [name]'),
    kind: 'breaking',
    message: /^property color is removed: requests that send it are refused$/,
  },
  {
    change: 'a property removed (its stored values)',
    edit: (t) => t.replace(/ {4}color: .*\n/, '').replace('filters: [color]', 'filters: [name]'),
    kind: 'breaking',
    message: /^property color leaves the schema$/,
    storage: /no longer served; the store refuses to drop them unless storage\.migrations\.drop lists color/,
  },
  {
    change: 'an optional property added',
    edit: (t) => t.replace('    size:', '    weight: { type: number, description: The weight. }\n    size:'),
    kind: 'additive',
    message: /^property weight is added$/,
  },
  {
    change: 'a required property added',
    edit: (t) =>
      t
        .replace('required: [name]', 'required: [name, weight]')
        .replace('    size:', '    weight: { type: number, description: The weight. }\n    size:'),
    kind: 'breaking',
    message: /^property weight is added and required: requests without it are refused$/,
  },
  {
    change: 'an optional property made required',
    edit: (t) => t.replace('required: [name]', 'required: [name, size]'),
    kind: 'breaking',
    message: /^property size is now required$/,
  },
  {
    change: 'an enum value removed',
    edit: (t) => t.replace('enum: [red, blue]', 'enum: [red]'),
    kind: 'breaking',
    message: /^enum loses blue: requests with it are refused$/,
  },
  {
    change: 'an enum value added (requests)',
    edit: (t) => t.replace('enum: [red, blue]', 'enum: [red, blue, green]'),
    kind: 'additive',
    message: /^enum gains green$/,
  },
  {
    change: 'an enum value added (answers)',
    edit: (t) => t.replace('enum: [red, blue]', 'enum: [red, blue, green]'),
    kind: 'breaking',
    message: /^enum gains green: clients may read a value they do not know$/,
  },
  {
    change: 'maxLength lowered',
    edit: (t) => t.replace('maxLength: 50', 'maxLength: 20'),
    kind: 'breaking',
    message: /^maxLength goes from 50 to 20: values past it are refused$/,
  },
  {
    change: 'maxLength raised',
    edit: (t) => t.replace('maxLength: 50', 'maxLength: 80'),
    kind: 'additive',
    message: /^maxLength goes from 50 to 80$/,
  },
  {
    change: 'maximum lowered',
    edit: (t) => t.replace('maximum: 10', 'maximum: 5'),
    kind: 'breaking',
    message: /^maximum goes from 10 to 5: values past it are refused$/,
  },
  { change: 'minimum lifted', edit: (t) => t.replace('minimum: 1, ', ''), kind: 'additive', message: /^minimum 1 is lifted$/ },
  {
    change: 'a type changed (its stored values)',
    edit: (t) => t.replace('size: { type: integer, minimum: 1, maximum: 10,', 'size: { type: string,'),
    kind: 'breaking',
    message: /^property size is stored as string instead of integer$/,
    storage: /the store refuses to convert stored values unless storage\.migrations\.retype lists size/,
  },
  {
    change: 'a type changed (requests)',
    edit: (t) => t.replace('size: { type: integer, minimum: 1, maximum: 10,', 'size: { type: string,'),
    kind: 'breaking',
    message: /^type narrows from integer to string: values of type integer are refused$/,
  },
  {
    change: 'a filter removed',
    edit: (t) => t.replace('filters: [color]', 'filters: [name]'),
    kind: 'breaking',
    message: /^query parameter color is removed: requests that send it are refused$/,
  },
  {
    change: 'a filter added',
    edit: (t) => t.replace('filters: [color]', 'filters: [color, size]'),
    kind: 'additive',
    message: /^query parameter size is added$/,
  },
  {
    change: 'an automation removed',
    edit: () => undefined,
    kind: 'breaking',
    message: /^widgets is removed: every endpoint of it goes$/,
    storage: /its records stay in memory "widgets", served by nothing/,
  },
  {
    change: 'an automation added',
    edit: (t) => t,
    extra: { 'gadgets.yaml': WIDGETS.replace('name: widgets', 'name: gadgets') },
    kind: 'additive',
    message: /^gadgets is added$/,
  },
  {
    change: 'the backend changed',
    edit: (t) => t.replace('backend: memory', 'backend: postgres'),
    kind: 'breaking',
    message: /^storage moves from memory "widgets" \(connection memory\) to postgres "widgets" \(connection postgres\)$/,
    storage: /nothing is copied/,
  },
  {
    change: 'a read operation removed',
    edit: (t) => t.replace('  - { operation: get }\n', ''),
    kind: 'breaking',
    message: /^GET \/widgets\/\{id\} is removed$/,
  },
  {
    change: 'a pattern set',
    // A function gives the new text: in a string, `$'` would be read as a replacement pattern.
    edit: (t) =>
      t.replace(
        'maxLength: 50, description: The name.',
        () => "maxLength: 50, pattern: '^[a-z]+$', examples: [abc], description: The name.",
      ),
    kind: 'breaking',
    message: /^pattern is set to \^\[a-z\]\+\$: values it does not match are refused$/,
  },
  {
    change: 'minLength set',
    edit: (t) => t.replace('maxLength: 50,', 'minLength: 3, maxLength: 50,'),
    kind: 'breaking',
    message: /^minLength is set to 3: values past it are refused$/,
  },
  {
    change: 'maximum raised',
    edit: (t) => t.replace('maximum: 10', 'maximum: 20'),
    kind: 'additive',
    message: /^maximum goes from 10 to 20$/,
  },
  {
    change: 'a required property made optional (answers)',
    edit: (t) => t.replace(/ {2}required: \[name\]\n/, ''),
    kind: 'breaking',
    message: /^property name may now be absent from the answer$/,
  },
  {
    change: 'null allowed (answers)',
    edit: (t) => t.replace('size: { type: integer,', 'size: { type: [integer, "null"],'),
    kind: 'breaking',
    message: /^type widens from integer to integer\|null: clients may now read null$/,
  },
  {
    change: 'an enum lifted (answers)',
    edit: (t) => t.replace('enum: [red, blue], ', ''),
    kind: 'breaking',
    message: /^enum gains \(any value\): clients may read a value they do not know$/,
  },
  {
    change: 'a sort added',
    edit: (t) => t.replace('filters: [color] }', 'filters: [color], sort: [name] }'),
    kind: 'additive',
    message: /^(query parameter sort is added|enum gains .*name.*)$/,
  },
  {
    change: 'a property removed and its values dropped',
    edit: (t) =>
      t
        .replace(/ {4}color: .*\n/, '')
        .replace('filters: [color]', 'filters: [name]')
        .replace('storage: { backend: memory }', 'storage: { backend: postgres, migrations: { drop: [color] } }'),
    kind: 'breaking',
    message: /^property color leaves the schema$/,
    storage: /^its stored values are deleted \(listed under storage\.migrations\.drop\)$/,
  },
];

describe('council diff', () => {
  test('no change: nothing listed, exit 0', async () => {
    const run = await diff();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^0 breaking and 0 additive change\(s\) against HEAD$/m);
  });

  for (const entry of CATALOGUE) {
    test(`${entry.change}: ${entry.kind}`, async () => {
      const { code, changes } = await changesWith(entry.edit, entry.extra);
      const found = changes.find((c) => entry.message.test(c.message));
      assert.ok(found, `no change matching ${entry.message} in:\n${changes.map((c) => `${c.kind} ${c.where}: ${c.message}`).join('\n')}`);
      assert.equal(found.kind, entry.kind, `${found.where}: ${found.message}`);
      if (entry.storage) assert.match(found.storage ?? '', entry.storage);
      assert.equal(code, changes.some((c) => c.kind === 'breaking') ? 1 : 0, 'exit 1 exactly when a change breaks');
    });
  }

  test('a description changed only: no change', async () => {
    const { code, changes } = await changesWith((t) =>
      t.replace('Widgets for the diff catalogue.', 'Widgets, described anew.').replace('The color.', 'Its color.'),
    );
    assert.deepEqual(changes, []);
    assert.equal(code, 0);
  });

  test('--format github: breaking changes as errors, additive ones as notices, on the manifest', async () => {
    writeFileSync(
      join(repo, 'automations', 'widgets.yaml'),
      WIDGETS.replace('  - { operation: delete }\n', '').replace('maxLength: 50', 'maxLength: 80'),
    );
    try {
      const run = await diff(['--format', 'github']);
      assert.equal(run.code, 1);
      assert.match(
        run.stdout,
        /^::error file=automations\/widgets\.yaml,line=1,col=1,title=breaking change::DELETE \/widgets\/\{id\}: DELETE \/widgets\/\{id\} is removed$/m,
      );
      assert.match(
        run.stdout,
        /^::notice file=automations\/widgets\.yaml,line=1,col=1,title=additive change::POST \/widgets request body \/name: maxLength goes from 50 to 80$/m,
      );
    } finally {
      writeFileSync(join(repo, 'automations', 'widgets.yaml'), WIDGETS);
    }
  });

  test('a raised version lets every breaking change of its automation through, listed as accepted at version:', async () => {
    const breaking = (t: string) => t.replace('  - { operation: delete }\n', '').replace('required: [name]', 'required: [name, size]');
    const same = await runWith(breaking(WIDGETS).replace('storage:', 'version: 1\nstorage:'), ['--format', 'json']);
    assert.equal(same.code, 1, 'version 1 written out is the version 1 of the base: nothing raised');

    const raised = breaking(WIDGETS).replace('storage:', 'version: 2\nstorage:');
    const json = await runWith(raised, ['--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const document = JSON.parse(json.stdout) as { breaking: number; accepted: number; changes: Change[] };
    const changes = document.changes.filter((c) => c.kind === 'breaking');
    assert.ok(changes.length >= 2, json.stdout);
    for (const change of changes) {
      assert.deepEqual(change.accepted, { by: 'version', reason: 'version raised 1 -> 2' }, change.where);
      assert.deepEqual([change.line, change.col], [3, 1], 'placed at version:');
    }
    assert.equal(document.breaking, 0);
    assert.equal(document.accepted, changes.length);
    assert.match(
      json.stderr,
      new RegExp(`^0 breaking, ${changes.length} accepted breaking and 0 additive change\\(s\\) against HEAD$`, 'm'),
    );

    const github = await runWith(raised, ['--format', 'github']);
    assert.equal(github.code, 0);
    assert.match(
      github.stdout,
      /^::warning file=automations\/widgets\.yaml,line=3,col=1,title=accepted breaking change::DELETE \/widgets\/\{id\}: DELETE \/widgets\/\{id\} is removed; accepted: version raised 1 -> 2$/m,
    );
    assert.doesNotMatch(github.stdout, /^::error/m);
  });

  test('acceptedChanges lets through the changes it names by where, and only those; an entry naming none is a warning at its line', async () => {
    const edited = WIDGETS.replace('  - { operation: delete }\n', '').replace('required: [name]', 'required: [name, size]');
    const accepting = (entries: string) => `${edited}acceptedChanges:\n${entries}`;
    const deleteEntry = '  - where: DELETE /widgets/{id}\n    reason: no client deletes widgets\n';
    const sizeEntry = '  - where: POST /widgets request body /size\n    reason: every client sends size already\n';
    const staleEntry = '  - { where: "GET /widgets ?colour", reason: a typo }\n';
    const entryLine = edited.split('\n').length + 1;

    const partly = await runWith(accepting(deleteEntry + staleEntry), ['--format', 'json']);
    assert.equal(partly.code, 1, 'size made required is not accepted');
    const document = JSON.parse(partly.stdout) as {
      breaking: number;
      accepted: number;
      changes: Change[];
      staleAcceptances: { where: string; line: number; col: number; message: string }[];
    };
    const removed = document.changes.find((c) => c.where === 'DELETE /widgets/{id}');
    assert.deepEqual(removed?.accepted, { by: 'acceptedChanges', reason: 'no client deletes widgets' });
    assert.deepEqual([removed?.line, removed?.col], [entryLine, 5], 'placed at its acceptedChanges entry');
    const size = document.changes.find((c) => c.where === 'POST /widgets request body /size' && c.kind === 'breaking');
    assert.ok(size && !size.accepted, partly.stdout);
    assert.deepEqual([size.line, size.col], [1, 1]);
    assert.equal(document.breaking, 1);
    assert.equal(document.accepted, 1);
    assert.deepEqual(
      document.staleAcceptances.map((s) => [s.where, s.line, s.col]),
      [['GET /widgets ?colour', entryLine + 2, 5]],
    );

    const whole = await runWith(accepting(deleteEntry + sizeEntry + staleEntry), []);
    assert.equal(whole.code, 0, `a stale entry warns, it does not fail:\n${whole.stdout}${whole.stderr}`);
    assert.match(
      whole.stdout,
      /^breaking \(accepted\): automations\/widgets\.yaml: POST \/widgets request body \/size: property size is now required; accepted: every client sends size already$/m,
    );
    assert.match(
      whole.stderr,
      new RegExp(
        `^automations/widgets\\.yaml:${entryLine + 4}:5: warning: acceptedChanges: "GET /widgets \\?colour" matches no breaking change`,
        'm',
      ),
    );
    assert.match(whole.stdout, /^0 breaking, 2 accepted breaking and 0 additive change\(s\) against HEAD$/m);
  });

  test('--format sarif: breaking changes as errors, accepted ones as warnings, additive ones as notes, stale acceptances as warnings', async () => {
    const edited = WIDGETS.replace('  - { operation: delete }\n', '')
      .replace('  - { operation: get }\n', '')
      .replace('maxLength: 50', 'maxLength: 80');
    const run = await runWith(
      `${edited}acceptedChanges:\n  - { where: "GET /widgets/{id}", reason: reads go through the list }\n  - { where: storage, reason: nothing moved }\n`,
      ['--format', 'sarif'],
    );
    assert.equal(run.code, 1);
    const log = JSON.parse(run.stdout) as SarifLog;
    assert.equal(log.version, '2.1.0');
    const [only] = log.runs;
    const results = only?.results ?? [];
    const level = (text: RegExp) => results.find((r) => text.test(r.message.text ?? ''))?.level;
    assert.equal(level(/^DELETE \/widgets\/\{id\}: /), 'error');
    assert.equal(level(/^GET \/widgets\/\{id\}: .*; accepted: reads go through the list$/), 'warning');
    assert.equal(level(/^POST \/widgets request body \/name: maxLength goes from 50 to 80$/), 'note');
    assert.equal(level(/^acceptedChanges: "storage" matches no breaking change/), 'warning');
    for (const result of results) {
      assert.equal(only?.tool.driver.rules?.[result.ruleIndex ?? -1]?.id, result.ruleId);
      assert.equal(result.locations?.[0]?.physicalLocation?.artifactLocation?.uri, 'automations/widgets.yaml');
    }
    assert.deepEqual([...new Set(results.map((r) => r.ruleId))].sort(), ['additive-change', 'breaking-change', 'stale-acceptance']);
    assert.match(run.stderr, /^1 breaking, 1 accepted breaking and 1 additive change\(s\) against HEAD$/m, 'the summary on stderr');
  });

  test('a base that does not exist, and a folder outside git, say so with exit 1', async () => {
    const run = await diff(['--base', 'no-such-branch']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no revision "no-such-branch"/);
    const outside = mkdtempSync(join(tmpdir(), 'council-diff-nogit-'));
    try {
      mkdirSync(join(outside, 'automations'));
      const plain = await runCouncil(outside, ['diff'], { ...env, GIT_CEILING_DIRECTORIES: tmpdir() });
      assert.equal(plain.code, 1);
      assert.match(plain.stderr, /is not inside a git repository/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
