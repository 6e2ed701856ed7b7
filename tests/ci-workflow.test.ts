import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { COUNCIL_BIN } from './support/council-command.ts';

/**
 * The workflow teams copy (documents/ci/council.yml), run as written: its `run:` steps
 * after `npm ci`, through bash, on a scratch repository cloned from an upstream whose
 * main branch holds a base, with `npx council` resolving to this checkout (a shim in the
 * scratch project's node_modules/.bin, where `npm ci` would have put the real one).
 * A non-breaking commit passes every step; a breaking one fails the diff step with an
 * error annotation on the manifest; the same change with the version raised, or with
 * acceptedChanges naming it, passes again. After the first commit only the diff step runs
 * again: the others do not read git, and a manifest with errors stops diff too.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WORKFLOW = join(ROOT, 'documents', 'ci', 'council.yml');
/** The target branch: what `${{ github.base_ref }}` is on a pull request into it. */
const TARGET = 'main';

interface WorkflowStep {
  readonly name?: string;
  readonly id?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
  readonly run?: string;
}

const steps = (parse(readFileSync(WORKFLOW, 'utf8')) as { jobs: Record<string, { steps: WorkflowStep[] }> }).jobs.council?.steps ?? [];
const install = steps.findIndex((step) => step.run?.trim() === 'npm ci');
/** The checks, as the workflow writes them. */
const checks = steps.slice(install + 1).flatMap((step) => (step.run ? [step.run.trim()] : []));

// What the job's environment has: no database configured, no npm script context, CI set.
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_'))),
  CI: 'true',
  PORT: '',
  DATABASE_URL: '',
  REDIS_URL: '',
  NODE_OPTIONS: '',
  COUNCIL_API_KEY: '',
  npm_config_update_notifier: 'false',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};

const NOTES_TEST = `tests:
  - name: a note is written, read and listed by its topic
    steps:
      - request: POST /notes
        body: { text: Call the bank, topic: money }
        expect:
          status: 201
          body: { data: { text: Call the bank, pinned: false } }
        capture: { note: /data/id }
      - request: GET /notes/\${note}
        expect:
          body: { data: { id: "\${note}", topic: money } }
      - request: GET /notes?topic=money
        expect:
          body: { data: [{ id: "\${note}" }] }
`;

let scratch: string;
/** The pull request's checkout: a clone of upstream, on its own branch. */
let checkout: string;
let notes: string;

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, stdio: 'ignore' });

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'council-ci-'));
  const upstream = join(scratch, 'upstream');
  mkdirSync(join(upstream, 'automations'), { recursive: true });
  cpSync(join(ROOT, 'automations', 'notes.yaml'), join(upstream, 'automations', 'notes.yaml'));
  writeFileSync(join(upstream, 'automations', 'notes.test.yaml'), NOTES_TEST);
  writeFileSync(join(upstream, 'council.config.yaml'), 'automations: automations\n');
  writeFileSync(join(upstream, '.gitignore'), 'node_modules/\n');
  git(upstream, 'init', '-q', '-b', TARGET);
  git(upstream, 'add', '.');
  git(upstream, 'commit', '-q', '-m', 'notes');
  // A full clone, as checkout with fetch-depth 0 makes: origin/main is there.
  checkout = join(scratch, 'checkout');
  git(scratch, 'clone', '-q', upstream, checkout);
  git(checkout, 'switch', '-q', '-c', 'change');
  const bin = join(checkout, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'council'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(COUNCIL_BIN)} "$@"\n`);
  chmodSync(join(bin, 'council'), 0o755);
  notes = readFileSync(join(checkout, 'automations', 'notes.yaml'), 'utf8');
});
after(() => rmSync(scratch, { recursive: true, force: true }));

interface StepRun {
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Commits notes.yaml as `text` on the pull request's branch. */
function commit(text: string, message: string): void {
  writeFileSync(join(checkout, 'automations', 'notes.yaml'), text);
  git(checkout, 'commit', '-q', '-am', message);
}

/**
 * Runs `commands` as a GitHub runner runs `run:` (bash -eo pipefail) in the checkout,
 * side by side: each check stands alone (the workflow runs every one even when another
 * failed), and running them at once keeps this file fast.
 */
function runChecks(commands: readonly string[]): Promise<StepRun[]> {
  return Promise.all(
    commands.map(
      (command) =>
        new Promise<StepRun>((resolve, reject) => {
          const script = command.replaceAll('${{ github.base_ref }}', TARGET);
          const options = { cwd: checkout, env, timeout: 120_000 };
          execFile('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], options, (error, stdout, stderr) => {
            if (error && typeof error.code !== 'number') return reject(error);
            resolve({ command, code: error ? (error.code as number) : 0, stdout, stderr });
          });
        }),
    ),
  );
}

const shown = (run: StepRun) => `${run.command} (exit ${run.code}):\n${run.stdout}\n${run.stderr}`;
const DIFF = checks.find((command) => command.startsWith('npx council diff ')) ?? 'the workflow has no council diff step';
const diffStep = (runs: readonly StepRun[]) => runs.find((r) => r.command === DIFF) as StepRun;

/** The diff step, run alone. */
async function runDiff(): Promise<StepRun> {
  const [run] = await runChecks([DIFF]);
  return run as StepRun;
}

/** topic, optional at the base, made required: a request without it that worked is refused. */
const TOPIC_REQUIRED = (text: string) => text.replace('required: [text]', 'required: [text, topic]');

describe('documents/ci/council.yml', () => {
  test('checks out the whole history, sets up Node.js 20, installs, then runs validate, test, the fuzzer and diff', () => {
    const checkoutStep = steps.find((step) => step.uses?.startsWith('actions/checkout@'));
    assert.equal(checkoutStep?.with?.['fetch-depth'], 0, 'diff needs origin/<target branch>');
    assert.equal(steps.find((step) => step.uses?.startsWith('actions/setup-node@'))?.with?.['node-version'], 20);
    assert.ok(install > 0, 'npm ci comes after checkout and setup-node');
    assert.deepEqual(checks, [
      'npx council validate --profile gpt --format github',
      'npx council test --format github',
      'npx council test --fuzz --format github',
      'npx council diff --base origin/${{ github.base_ref }} --format github',
    ]);
  });

  test('a pull request that only adds: every step exits 0, the additions noted on the manifest', async () => {
    commit(
      notes.replace(
        '    pinned:',
        '    color:\n      type: string\n      maxLength: 20\n      description: A color to tell notes apart.\n    pinned:',
      ),
      'notes: an optional color',
    );
    const runs = await runChecks(checks);
    for (const run of runs) assert.equal(run.code, 0, shown(run));
    const diff = diffStep(runs);
    assert.match(
      diff.stdout,
      /^::notice file=automations\/notes\.yaml,line=1,col=1,title=additive change::POST \/notes request body \/color: property color is added$/m,
    );
    assert.match(diff.stdout, /^0 breaking and \d+ additive change\(s\) against origin\/main$/m);
  });

  test('a breaking commit on top fails the diff step (exit 1) with an error annotation on the manifest', async () => {
    commit(TOPIC_REQUIRED(readFileSync(join(checkout, 'automations', 'notes.yaml'), 'utf8')), 'notes: topic required');
    const run = await runDiff();
    assert.equal(run.code, 1, shown(run));
    assert.match(
      run.stdout,
      /^::error file=automations\/notes\.yaml,line=1,col=1,title=breaking change::POST \/notes request body \/topic: property topic is now required$/m,
    );
  });

  test('the same change with the version raised passes the diff step, the change a warning at version:', async () => {
    const breaking = readFileSync(join(checkout, 'automations', 'notes.yaml'), 'utf8');
    commit(breaking.replace(/^storage:/m, 'version: 2\nstorage:'), 'notes: version 2');
    try {
      const run = await runDiff();
      assert.equal(run.code, 0, shown(run));
      const at = breaking.split('\n').findIndex((line) => line.startsWith('storage:')) + 1;
      assert.match(
        run.stdout,
        new RegExp(
          `^::warning file=automations/notes\\.yaml,line=${at},col=1,title=accepted breaking change::POST /notes request body /topic: property topic is now required; accepted: version raised 1 -> 2$`,
          'm',
        ),
      );
    } finally {
      git(checkout, 'reset', '-q', '--hard', 'HEAD~1');
    }
  });

  test('the same change accepted under acceptedChanges passes the diff step, with its reason', async () => {
    const breaking = readFileSync(join(checkout, 'automations', 'notes.yaml'), 'utf8');
    commit(
      `${breaking}acceptedChanges:\n  - where: POST /notes request body /topic\n    reason: every client of notes sends a topic already\n`,
      'notes: topic required, accepted',
    );
    const run = await runDiff();
    assert.equal(run.code, 0, shown(run));
    assert.match(
      run.stdout,
      /^::warning file=automations\/notes\.yaml,line=\d+,col=5,title=accepted breaking change::POST \/notes request body \/topic: property topic is now required; accepted: every client of notes sends a topic already$/m,
    );
    assert.doesNotMatch(run.stdout, /^::error/m);
  });
});
