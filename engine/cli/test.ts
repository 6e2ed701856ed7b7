import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CouncilConfig } from '../config/config.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { fuzzApi } from '../testing/fuzz.ts';
import { failureIssues, junitReport, tapReport } from '../testing/reports.ts';
import { runTestFile, type Send, type TestResult } from '../testing/run-tests.ts';
import { startEngineUnderTest } from '../testing/test-engine.ts';
import { loadTestFile, type TestFile, testFiles } from '../testing/test-file.ts';
import { testFlags } from './flags.ts';
import { shownPath, writeIssues } from './issue-formats.ts';
import { projectConfig, UsageError } from './options.ts';

const FORMATS = ['tap', 'github'] as const;
type Format = (typeof FORMATS)[number];

/** How long one step may take, in process or over HTTP, before it fails. */
const STEP_TIMEOUT_MS = 30_000;

/**
 * Runs the declared tests: each file against its own engine on empty stores, or all of
 * them against `--url`. TAP on stdout; exit 1 when a test fails or a test file is invalid.
 */
export async function testCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: testFlags, allowPositionals: true });
  const format = (values.format ?? 'tap') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format takes ${FORMATS.join(', ')}; got "${values.format}"`);
  if (values.url !== undefined && !/^https?:\/\/[^/]+/.test(values.url))
    throw new UsageError(`--url takes http://HOST:PORT, got "${values.url}"`);
  const report = (issues: readonly ManifestIssue[]) => writeIssues({ issues, files: 0 }, format === 'github' ? 'github' : 'human', '');
  const config = projectConfig(values, report);
  const paths = positionals.length ? positionals : [config.automations];
  const options = { url: values.url, junit: values.junit, format };
  if (values.fuzz) {
    const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : wholeNumber('--seed', values.seed);
    const budget = values.budget === undefined ? DEFAULT_BUDGET : wholeNumber('--budget', values.budget);
    return fuzzOnce(config, { ...options, seed, budget });
  }
  const run = () => runOnce(config, paths, positionals.length > 0, options);
  if (!values.watch) return run();
  return watchAndRun(config, values.config, run);
}

/** Requests the fuzzer sends when --budget is not given: about a dozen per operation of the examples. */
const DEFAULT_BUDGET = 1000;

function wholeNumber(flag: string, text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`${flag} takes a whole number, got "${text}"`);
  return Number(text);
}

/** The fuzzer over every automation of the project, in process on empty stores, or at --url. */
async function fuzzOnce(config: CouncilConfig, options: Options & { seed: number; budget: number }): Promise<number> {
  console.log(`# fuzz: seed ${options.seed}, budget ${options.budget} requests`);
  const target = await openTarget(config, options.url);
  try {
    const { send, base, key } = target;
    const answer = await send(new Request(new URL('/openapi.json', base), { headers: key ? { authorization: `Bearer ${key}` } : {} }));
    if (!answer.ok) {
      console.log(`Bail out! GET /openapi.json answered ${answer.status}`);
      return 1;
    }
    const document = (await answer.json()) as Record<string, unknown>;
    const manifests = [...target.manifests];
    const fileOf = (path: string) => {
      const found = manifests.find(([basePath]) => path === basePath || path.startsWith(`${basePath}/`));
      return found ? shownPath(found[1]) : undefined;
    };
    const { seed, budget } = options;
    const results = await fuzzApi(document, send, { base, key, seed, budget, stepTimeoutMs: STEP_TIMEOUT_MS, fileOf });
    return reportResults(results, options) ? 1 : 0;
  } finally {
    await target.close();
  }
}

/** Where requests go: an engine started here on empty stores, or the server at --url (key from COUNCIL_API_KEY). */
interface Target {
  readonly send: Send;
  readonly base: string;
  readonly key: string | undefined;
  /** The manifest serving each base path, where known. */
  readonly manifests: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

async function openTarget(config: CouncilConfig, url: string | undefined): Promise<Target> {
  if (url) {
    return {
      send: (request) => fetch(request),
      base: url,
      key: process.env.COUNCIL_API_KEY || undefined,
      manifests: new Map(),
      close: async () => {},
    };
  }
  const engine = await startEngineUnderTest(config);
  // A manifest that does not load answers 404 to its requests: say why first.
  for (const line of engine.failures) console.log(`# not served: ${line}`);
  return { send: engine.send, base: 'http://council.test', key: engine.key, manifests: engine.manifests, close: () => engine.close() };
}

/** TAP on stdout, JUnit with --junit, annotations with --format github; how many failed. */
function reportResults(results: readonly TestResult[], options: Options): number {
  console.log(tapReport(results));
  if (options.junit) writeFileSync(options.junit, junitReport(results));
  const failed = failureIssues(results);
  if (options.format === 'github' && failed.length) writeIssues({ issues: failed, files: results.length }, 'github', '');
  return failed.length;
}

interface Options {
  readonly url: string | undefined;
  readonly junit: string | undefined;
  readonly format: Format;
}

async function runOnce(config: CouncilConfig, paths: readonly string[], named: boolean, options: Options): Promise<number> {
  const files = testFiles(paths);
  if (files.length === 0) {
    const where = paths.map((p) => shownPath(p)).join(', ');
    console.log(`# no test file (*.test.yaml) under ${where}: nothing to run; council new NAME writes one beside its manifest`);
    return named ? 1 : 0;
  }
  const loaded: TestFile[] = [];
  const issues: ManifestIssue[] = [];
  for (const file of files) {
    const { tests, issues: found } = loadTestFile(file, shownPath(file));
    if (tests) loaded.push(tests);
    issues.push(...found);
  }
  if (issues.length) writeIssues({ issues, files: files.length }, options.format === 'github' ? 'github' : 'human', '');
  const results: TestResult[] = [];
  for (const file of loaded) results.push(...(await runFile(config, file, options)));
  const failed = reportResults(results, options);
  const invalid = issues.filter((i) => i.severity === 'error').length;
  if (invalid) console.log(`# ${invalid} problem(s) in test files: those files did not run`);
  return failed || invalid ? 1 : 0;
}

async function runFile(config: CouncilConfig, file: TestFile, options: Options): Promise<TestResult[]> {
  const target = await openTarget(config, options.url);
  try {
    return await runTestFile(file, target.send, { base: target.base, key: target.key, stepTimeoutMs: STEP_TIMEOUT_MS });
  } finally {
    await target.close();
  }
}

/** Runs, then again after each change to the automations folder or the config, until SIGINT. */
async function watchAndRun(config: CouncilConfig, configFile: string | undefined, run: () => Promise<number>): Promise<number> {
  const { watch } = await import('chokidar');
  let running: Promise<unknown> = run();
  let again = false;
  const watcher = watch([config.automations, ...(configFile ? [configFile] : ['council.config.yaml'])], { ignoreInitial: true });
  let timer: NodeJS.Timeout | undefined;
  watcher.on('all', () => {
    clearTimeout(timer);
    // Editors write a file in several steps: run once they are done.
    timer = setTimeout(() => {
      if (again) return;
      again = true;
      running = running.then(async () => {
        again = false;
        console.log(`\n# ${new Date().toISOString()}: a file changed; running again`);
        await run();
      });
    }, 200);
  });
  console.log('# watching for changes; Ctrl-C stops');
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await watcher.close();
  return 0;
}
