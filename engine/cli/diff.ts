import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { compileAutomation } from '../compile/compile.ts';
import type { CouncilConfig } from '../config/config.ts';
import { connectionBackends } from '../config/load.ts';
import { loadManifests } from '../manifest/load.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { type ChangePolicy, reviewChanges } from '../review/acceptance.ts';
import { apiChanges, type BuiltAutomation } from '../review/api-changes.ts';
import { automationOpenApi } from '../server/openapi-view.ts';
import { locate } from '../source/source.ts';
import { DIFF_FORMATS, type DiffFormat, writeReview } from './diff-report.ts';
import { diffFlags } from './flags.ts';
import { projectConfig, UsageError } from './options.ts';
import { printIssues } from './print-issues.ts';

/** How long one git command may take: a huge repository must not hang CI. */
const GIT_TIMEOUT_MS = 60_000;

/**
 * Builds the API at `--base` (default HEAD) and in the work tree, and lists what changed:
 * breaking or additive, with what happens to stored records. Exit 1 on a breaking change
 * the manifest does not accept (a raised `version`, or an `acceptedChanges` entry).
 */
export async function diffCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: diffFlags });
  const format = (values.format ?? 'human') as DiffFormat;
  if (!DIFF_FORMATS.includes(format)) throw new UsageError(`--format takes ${DIFF_FORMATS.join(', ')}; got "${values.format}"`);
  const config = projectConfig(values);
  const base = values.base ?? 'HEAD';
  const root = git(['rev-parse', '--show-toplevel'], config.automations);
  if (!root) {
    console.error(`council diff: ${config.automations} is not inside a git repository; diff compares against a revision`);
    return 1;
  }
  if (!git(['rev-parse', '--verify', '--quiet', `${base}^{commit}`], root)) {
    console.error(
      `council diff: no revision "${base}" in ${root}; give --base a branch, tag or commit (in CI, fetch the target branch first)`,
    );
    return 1;
  }
  const head = build(config, config.automations, root);
  if (head.errors) {
    console.error('council diff: the manifests in the work tree have errors; fix them first (council validate)');
    return 1;
  }
  const checkout = mkdtempSync(join(tmpdir(), 'council-diff-'));
  let before: Built;
  try {
    // The whole revision, so schema files a manifest refers to are there as they were.
    const archive = join(checkout, 'base.tar');
    execFileSync('git', ['archive', '--format=tar', '-o', archive, base], { cwd: root, timeout: GIT_TIMEOUT_MS });
    execFileSync('tar', ['-xf', archive, '-C', checkout], { timeout: GIT_TIMEOUT_MS });
    const folder = join(checkout, relative(root, config.automations));
    // At the base, manifests with errors were not served: they are left out, not reported.
    before = build(config, folder, checkout, true);
  } finally {
    rmSync(checkout, { recursive: true, force: true });
  }
  const review = reviewChanges(apiChanges(before.automations, head.automations), before.policies, head.policies);
  writeReview(review, base, format);
  return review.blocking > 0 ? 1 : 0;
}

interface Built {
  readonly automations: BuiltAutomation[];
  /** What each manifest says about its changes (version, acceptedChanges), with positions. */
  readonly policies: ChangePolicy[];
  readonly errors: boolean;
}

function build(config: CouncilConfig, folder: string, root: string, quiet = false): Built {
  const result = loadManifests([folder], connectionBackends(config));
  const errors = result.issues.some((i) => i.severity === 'error');
  if (errors && !quiet) printIssues(result.issues);
  const options = { pagination: config.pagination, consequentialWrites: config.gpt.consequentialWrites };
  const plans = result.manifests.map((loaded) => compileAutomation(loaded, options));
  const automations = plans.map((plan) => {
    const spec = plan.storage.spec;
    return {
      name: plan.name,
      file: relative(root, plan.file).split(sep).join('/'),
      document: automationOpenApi(plan, config, undefined, plans) as unknown as Record<string, unknown>,
      storage: {
        backend: plan.storage.backend,
        connection: plan.storage.connection,
        collection: spec.collection,
        fields: new Map(spec.fields.map((f) => [f.name, f.kind])),
        drop: spec.migrations?.drop ?? [],
        retype: spec.migrations?.retype ?? [],
      },
    };
  });
  const policies = result.manifests.map((loaded) => changePolicy(loaded, relative(root, loaded.file).split(sep).join('/')));
  return { automations, policies, errors };
}

function changePolicy({ manifest, source }: LoadedManifest, file: string): ChangePolicy {
  return {
    name: manifest.name,
    file,
    version: manifest.version ?? 1,
    versionAt: manifest.version === undefined ? { line: 1, col: 1 } : locate(source, ['version'], { key: true }),
    acceptedChanges: (manifest.acceptedChanges ?? []).map((entry, i) => ({ ...entry, ...locate(source, ['acceptedChanges', i]) })),
  };
}

/** A git command's output, trimmed; undefined when it fails. */
function git(args: readonly string[], cwd: string): string | undefined {
  try {
    return (
      execFileSync('git', args, { cwd, encoding: 'utf8', timeout: GIT_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}
