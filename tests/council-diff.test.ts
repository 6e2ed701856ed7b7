import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
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
        /^::error file=automations\/widgets\.yaml,title=breaking change::DELETE \/widgets\/\{id\}: DELETE \/widgets\/\{id\} is removed$/m,
      );
      assert.match(
        run.stdout,
        /^::notice file=automations\/widgets\.yaml,title=additive change::POST \/widgets request body \/name: maxLength goes from 50 to 80$/m,
      );
    } finally {
      writeFileSync(join(repo, 'automations', 'widgets.yaml'), WIDGETS);
    }
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
