import { createHash } from 'node:crypto';
import type { JsonSchema } from '../schema/json-schema.ts';
import { pascalCase, singularize } from '../schema/naming.ts';
import { referencesOf } from '../schema/references.ts';
import { reverseListName } from '../schema/reverse-lists.ts';
import { hasErrors, type ManifestIssue } from '../source/issues.ts';
import { issueAt, locate, parseSource } from '../source/source.ts';
import { manifestFiles } from './files.ts';
import { checkIndexedStrings } from './indexed-strings.ts';
import type { LoadedManifest, Manifest } from './manifest.ts';
import { validateManifestShape } from './meta.ts';
import { readManifestText } from './read-text.ts';
import { checkReferencesAcross } from './reference-graph.ts';
import { checkResourceSchema } from './resource-schema.ts';
import { resolveResourceSchema } from './schema-ref.ts';
import { type ConnectionBackends, checkSemantics } from './semantics.ts';
import { checkVersions } from './versions.ts';

// Kept importable from here, where the loader's callers look for them.
export { isDirectory, isManifestName, manifestFiles } from './files.ts';

/** Paths the engine serves or will serve (health probes, specs, console, sign-in), and so never an automation's. */
export const ENGINE_ROUTES = [
  'health',
  'healthz',
  'readyz',
  'livez',
  'openapi.json',
  'openapi',
  'docs',
  'mcp',
  'automations',
  'admin',
  'metrics',
  'problems',
  'console',
  'auth',
  'oauth',
  'login',
  'logout',
  'static',
  'assets',
  'favicon',
];

/** A first path segment naming a version of the automation after it: `/v1/accounts`. */
export const VERSION_SEGMENT = /^v[1-9][0-9]{0,2}$/;

export interface LoadResult {
  /** Manifests with no errors, ready to compile. */
  readonly manifests: LoadedManifest[];
  /** Every error and warning found, in every file (manifests and the schema files they use). */
  readonly issues: ManifestIssue[];
  /** The manifest files checked. */
  readonly files: string[];
}

/** What loading one manifest file found, valid or not. */
export interface FileLoad {
  readonly manifest?: LoadedManifest;
  readonly issues: ManifestIssue[];
  /** Files read: the manifest, then its `$ref`-ed schema file if it names one (even one that failed). */
  readonly dependencies: readonly string[];
  /** Hash of exactly the texts these checks read, so a later change to any of them is noticed. */
  readonly fingerprint: string;
  /** The manifest file does not exist (any more). */
  readonly missing: boolean;
  /** The automation's `name:` as written, when the text has one, even if the manifest is invalid. */
  readonly name?: string;
}

/** Reads, parses and checks one manifest file. Never throws: problems come back as issues. */
export function loadManifestFile(file: string, connections: ConnectionBackends): FileLoad {
  const read = readManifestText(file);
  if (read.issue) return { issues: [read.issue], dependencies: [file], fingerprint: fingerprintOf([undefined]), missing: read.missing };
  return checkManifestText(file, read.text, connections);
}

/**
 * Parses and checks `text` as the manifest at `file` (a schema file it `$ref`s is read
 * from beside it): what loading that file would find, for a text not written yet.
 */
export function checkManifestText(file: string, text: string, connections: ConnectionBackends): FileLoad {
  // Schema files the earlier versions `$ref`, read once the rest holds.
  const more: { file: string; text?: string | undefined }[] = [];
  let named: string | undefined;
  const done = (issues: ManifestIssue[], resolved?: { file?: string; text?: string }, manifest?: LoadedManifest): FileLoad => {
    const read = [...(resolved?.file ? [{ file: resolved.file, text: resolved.text }] : []), ...more];
    return {
      ...(manifest ? { manifest } : {}),
      ...(named ? { name: named } : {}),
      issues,
      dependencies: [file, ...read.map((r) => r.file)],
      fingerprint: fingerprintOf([text, ...read.map((r) => r.text)]),
      missing: false,
    };
  };
  const { source, issues, value } = parseSource(file, text);
  const written = (value as { name?: unknown } | null | undefined)?.name;
  named = typeof written === 'string' ? written : undefined;
  if (issues.length) return done(issues);
  const shapeIssues = validateManifestShape(source, value);
  const manifest = value as Manifest;
  const schemaValue: unknown = (value as { schema?: unknown } | null)?.schema;
  // The resource schema is checked even when the rest of the manifest is not valid, so
  // one run reports both; semantic checks need a valid shape and wait for it.
  if (typeof schemaValue !== 'object' || schemaValue === null || Array.isArray(schemaValue)) return done(shapeIssues);
  const resolved = resolveResourceSchema(source, schemaValue as JsonSchema);
  if (!resolved.schema || !resolved.at) return done([...shapeIssues, ...resolved.issues], resolved);
  const { issues: schemaIssues, validate } = checkResourceSchema(resolved.schema, resolved.at);
  if (shapeIssues.length) return done([...shapeIssues, ...schemaIssues], resolved);
  const all = [
    ...schemaIssues,
    ...checkSemantics(source, manifest, resolved.schema, connections),
    ...checkIndexedStrings(manifest, resolved.schema, resolved.at),
  ];
  if (hasErrors(all) || !validate) return done(all, resolved);
  const versions = checkVersions(source, manifest, { schema: resolved.schema, at: resolved.at });
  more.push(...versions.files);
  all.push(...versions.issues);
  if (hasErrors(all)) return done(all, resolved);
  const dependencies = [file, ...(resolved.file ? [resolved.file] : []), ...more.map((r) => r.file)];
  const loaded: LoadedManifest = {
    file,
    source,
    manifest,
    schema: resolved.schema as JsonSchema,
    schemaAt: resolved.at,
    validate,
    versions: versions.versions,
    dependencies,
  };
  return done(all, resolved, loaded);
}

/** The fingerprint the given files have on disk now (compare with {@link FileLoad.fingerprint}). */
export function fingerprintOnDisk(files: readonly string[]): string {
  return fingerprintOf(
    files.map((f) => {
      const read = readManifestText(f);
      // A file that cannot be used is fingerprinted by why (its size is in the message), not read whole.
      return read.issue ? (read.missing ? undefined : `\u0002${read.issue.message}`) : read.text;
    }),
  );
}

function fingerprintOf(texts: readonly (string | undefined)[]): string {
  const hash = createHash('sha256');
  for (const text of texts) hash.update(text === undefined ? '\u0001missing' : `\u0000${text}`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Checks that manifests valid on their own also fit together: unique names (and so
 * paths) and no path taken from the engine. The first file in sorted order keeps a
 * contested name; the later ones are rejected.
 */
export function checkAcrossManifests(
  manifests: readonly LoadedManifest[],
  taken?: TakenNames,
): { accepted: LoadedManifest[]; issues: ManifestIssue[] } {
  const byName = new Map<string, LoadedManifest>();
  const byRecordName = new Map<string, LoadedManifest>();
  const accepted: LoadedManifest[] = [];
  const issues: ManifestIssue[] = [];
  const holderOf = (recordName: string) => byRecordName.get(recordName) ?? taken?.recordName(recordName);
  for (const loaded of manifests) {
    const { name } = loaded.manifest;
    const first = byName.get(name) ?? taken?.name(name);
    const names = recordNames(loaded);
    const clashing = names.filter((n) => holderOf(n) !== undefined);
    const clash = clashing[0] === undefined ? undefined : holderOf(clashing[0]);
    if (first) {
      issues.push(
        issueAt(
          loaded.source,
          ['name'],
          'name-duplicate',
          `automation "${name}" (path /${name}) is already defined at ${where(first)}; rename one of them`,
        ),
      );
    } else if (VERSION_SEGMENT.test(name)) {
      const message = `path /${name} is how versions are addressed (/${name}/NAME); choose another name`;
      issues.push(issueAt(loaded.source, ['name'], 'path-reserved', message));
    } else if (ENGINE_ROUTES.includes(name)) {
      issues.push(issueAt(loaded.source, ['name'], 'path-reserved', `path /${name} is served by the engine itself; choose another name`));
    } else if (clash) {
      issues.push(
        issueAt(
          loaded.source,
          ['name'],
          'record-name-duplicate',
          `automation "${name}" would publish names (${clashing.join(', ')}) already used by "${clash.manifest.name}" at ${where(clash)}; set \`singular:\` or rename one of them`,
        ),
      );
    } else {
      byName.set(name, loaded);
      for (const n of names) byRecordName.set(n, loaded);
      accepted.push(loaded);
    }
  }
  return { accepted, issues };
}

/**
 * Names already taken by manifests outside the list being checked (the ones a reload
 * keeps serving), looked up instead of re-checked so a reload costs the same among
 * 10 automations or 1,000.
 */
export interface TakenNames {
  name(name: string): LoadedManifest | undefined;
  recordName(recordName: string): LoadedManifest | undefined;
}

/**
 * The PascalCase names an automation publishes in OpenAPI schemas and operation ids, its
 * reverse lists' among them (`AccountTickets`: `listAccountTickets`), so no two clash.
 */
export function recordNames(loaded: LoadedManifest): string[] {
  let names = recordNamesCache.get(loaded);
  if (!names) {
    const { name, singular } = loaded.manifest;
    const one = pascalCase(singular ?? singularize(name));
    const reverse = referencesOf(loaded.manifest).map((r) => reverseListName(r.name, pascalCase(name)));
    const published = (suffix: string) => [
      `${one}${suffix}`,
      `${one}${suffix}Input`,
      `${one}${suffix}Patch`,
      `${one}${suffix}Partial`,
      `${pascalCase(name)}${suffix}`,
    ];
    const earlier = loaded.versions.flatMap((v) => published(`V${v.number}`));
    names = [...new Set([...published(''), ...reverse, ...earlier])];
    recordNamesCache.set(loaded, names);
  }
  return names;
}

// A reload checks one file against every serving manifest; their names need computing once.
const recordNamesCache = new WeakMap<LoadedManifest, string[]>();

function where(loaded: LoadedManifest): string {
  const { line, col } = locate(loaded.source, ['name']);
  return `${loaded.file}:${line}:${col}`;
}

/** Loads every manifest under `paths`, reporting all problems in all files. */
export function loadManifests(paths: readonly string[], connections: ConnectionBackends): LoadResult {
  const issues: ManifestIssue[] = [];
  const valid: LoadedManifest[] = [];
  const files = manifestFiles(paths);
  for (const file of files) {
    const result = loadManifestFile(file, connections);
    issues.push(...result.issues);
    if (result.manifest) valid.push(result.manifest);
  }
  const across = checkAcrossManifests(valid);
  const references = checkReferencesAcross(across.accepted, { name: () => undefined });
  return { manifests: references.accepted, issues: [...issues, ...across.issues, ...references.issues], files };
}
