import type { ValidateFunction } from 'ajv';
import { didYouMean } from '../errors/did-you-mean.ts';
import { fieldKind, followLocalRef, propertiesOf } from '../schema/fields.ts';
import type { JsonSchema } from '../schema/json-schema.ts';
import type { EarlierVersion } from '../schema/manifest-shape.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, type PathSegment, type SourceFile } from '../source/source.ts';
import type { EndpointDeclaration, Manifest, SchemaLocation } from './manifest.ts';
import { checkResourceSchema } from './resource-schema.ts';
import { resolveResourceSchema } from './schema-ref.ts';
import { checkEndpoints } from './semantics.ts';

/** An earlier version of an automation, checked: served at /vN/NAME over the latest's records. */
export interface LoadedVersion {
  readonly number: number;
  readonly description?: string;
  readonly schema: JsonSchema;
  readonly schemaAt: SchemaLocation;
  readonly validate: ValidateFunction;
  /** Its own, or the latest's. */
  readonly endpoints: readonly EndpointDeclaration[];
  /** Property -> the name its values are stored under (only the renamed ones). */
  readonly storedAs: Readonly<Record<string, string>>;
  readonly deprecated?: EarlierVersion['deprecated'];
}

/** What checking the `versions:` of a manifest found, and the schema files it read. */
export interface VersionsCheck {
  readonly versions: LoadedVersion[];
  readonly issues: ManifestIssue[];
  readonly files: { readonly file: string; readonly text?: string | undefined }[];
}

/** One version's view of the records: for the compatibility check. */
interface Side {
  readonly number: number;
  readonly schema: JsonSchema;
  readonly at: SchemaLocation;
  readonly storedAs: Readonly<Record<string, string>>;
}

/**
 * Checks every earlier version of a manifest that is valid on its own: each is earlier
 * than `version`, its schema and endpoints hold as a manifest's would, and every two
 * versions can read the records each other writes (they share one store).
 */
export function checkVersions(source: SourceFile, manifest: Manifest, latest: { schema: JsonSchema; at: SchemaLocation }): VersionsCheck {
  const entries = Object.entries(manifest.versions ?? {});
  const current = manifest.version ?? 1;
  const issues: ManifestIssue[] = [];
  const files: VersionsCheck['files'] = [];
  const versions: LoadedVersion[] = [];
  const sides: Side[] = [{ number: current, schema: latest.schema, at: latest.at, storedAs: manifest.storage.storedAs ?? {} }];
  issues.push(...checkStoredAs(source, ['storage', 'storedAs'], manifest.storage.storedAs ?? {}, latest.schema));
  const served = new Set([current, ...entries.map(([key]) => Number(key))]);
  for (const [key, entry] of entries) {
    const number = Number(key);
    const at: PathSegment[] = ['versions', key];
    if (number >= current) {
      const message = `version ${number} is not earlier than the latest (version: ${current}); raise \`version:\` above every entry under versions`;
      issues.push(issueAt(source, at, 'version-invalid', message, { key: true }));
      continue;
    }
    issues.push(...checkDeprecation(source, [...at, 'deprecated'], entry.deprecated, number, served));
    const resolved = resolveResourceSchema(source, entry.schema, [...at, 'schema']);
    if (resolved.file) files.push({ file: resolved.file, text: resolved.text });
    if (!resolved.schema || !resolved.at) {
      issues.push(...resolved.issues);
      continue;
    }
    const { issues: schemaIssues, validate } = checkResourceSchema(resolved.schema, resolved.at);
    issues.push(...schemaIssues);
    if (!validate) continue;
    const storedAs = entry.storedAs ?? {};
    issues.push(...checkStoredAs(source, [...at, 'storedAs'], storedAs, resolved.schema));
    issues.push(...versionEndpoints(source, manifest, entry, at, number, resolved.schema));
    versions.push({
      number,
      ...(entry.description === undefined ? {} : { description: entry.description }),
      schema: resolved.schema,
      schemaAt: resolved.at,
      validate,
      endpoints: entry.endpoints ?? manifest.endpoints,
      storedAs,
      ...(entry.deprecated ? { deprecated: entry.deprecated } : {}),
    });
    sides.push({ number, schema: resolved.schema, at: resolved.at, storedAs });
  }
  sides.sort((a, b) => a.number - b.number);
  for (let i = 0; i < sides.length; i++) {
    for (let j = i + 1; j < sides.length; j++) issues.push(...readableBothWays(sides[i] as Side, sides[j] as Side));
  }
  versions.sort((a, b) => b.number - a.number);
  if (issues.some((i) => i.severity === 'error')) return { versions, issues, files };
  return { versions: versions.map((v) => widened(v, sides)), issues, files };
}

/**
 * An earlier version with each enum widened to the values a later version added: its
 * answers show the records later versions wrote as they are, so its documents say those
 * values may appear, and it accepts them back (an update through it must not fail on a
 * value it was not sent). Unchanged when no later version added a value.
 */
function widened(version: LoadedVersion, sides: readonly Side[]): LoadedVersion {
  const own = sides.find((s) => s.number === version.number) as Side;
  const values = new Map<string, unknown[]>();
  for (const side of sides) {
    for (const [stored, field] of storedFields(side)) {
      const choices = (field.schema as JsonSchema | null)?.enum;
      if (!Array.isArray(choices)) continue;
      const known = values.get(stored) ?? [];
      for (const v of choices) if (!known.some((k) => JSON.stringify(k) === JSON.stringify(v))) known.push(v);
      values.set(stored, known);
    }
  }
  const schema = structuredClone(version.schema);
  let changed = false;
  for (const [name, property] of Object.entries(propertiesOf(schema))) {
    const choices = (property as JsonSchema | null)?.enum;
    const all = values.get(own.storedAs[name] ?? name);
    if (!Array.isArray(choices) || !all || all.length === choices.length) continue;
    (property as JsonSchema).enum = all;
    changed = true;
  }
  if (!changed) return version;
  const { validate } = checkResourceSchema(schema, version.schemaAt);
  return validate ? { ...version, schema, validate } : version;
}

/** An earlier version's endpoints (its own, or the latest's it inherits) against its own schema. */
function versionEndpoints(
  source: SourceFile,
  manifest: Manifest,
  entry: EarlierVersion,
  at: PathSegment[],
  number: number,
  schema: JsonSchema,
): ManifestIssue[] {
  if (entry.endpoints) return checkEndpoints(source, { ...manifest, endpoints: entry.endpoints }, schema, [...at, 'endpoints']);
  // Inherited: a problem is where the latest declares it, said to be version N's.
  return checkEndpoints(source, manifest, schema).map((issue) => ({
    ...issue,
    message: `version ${number} inherits these endpoints, and for its schema: ${issue.message}; give versions.${number} endpoints of its own`,
  }));
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `YYYY-MM-DD` is a day of the calendar (not 2027-02-30). */
export function isCalendarDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

function checkDeprecation(
  source: SourceFile,
  at: PathSegment[],
  deprecated: EarlierVersion['deprecated'],
  number: number,
  served: ReadonlySet<number>,
): ManifestIssue[] {
  if (!deprecated) return [];
  const issues: ManifestIssue[] = [];
  for (const field of ['sunset', 'since'] as const) {
    const day = deprecated[field];
    if (day !== undefined && !isCalendarDay(day))
      issues.push(issueAt(source, [...at, field], 'version-invalid', `${field} "${day}" is not a day of the calendar (YYYY-MM-DD)`));
  }
  if (deprecated.since !== undefined && deprecated.since > deprecated.sunset) {
    const message = `since (${deprecated.since}) is after sunset (${deprecated.sunset}): a version is deprecated before it stops`;
    issues.push(issueAt(source, [...at, 'since'], 'version-invalid', message));
  }
  const successor = deprecated.successor;
  if (successor !== undefined && (successor <= number || !served.has(successor))) {
    const choices = [...served].filter((n) => n > number).sort((a, b) => a - b);
    const message = `successor ${successor} is not a later version this manifest serves (it serves ${choices.join(', ')} after version ${number})`;
    issues.push(issueAt(source, [...at, 'successor'], 'version-invalid', message));
  }
  return issues;
}

/** `storedAs` renames properties of this schema, each to a name no other property is stored under. */
function checkStoredAs(
  source: SourceFile,
  at: PathSegment[],
  storedAs: Readonly<Record<string, string>>,
  schema: JsonSchema,
): ManifestIssue[] {
  const properties = Object.keys(propertiesOf(schema));
  const issues: ManifestIssue[] = [];
  const holders = new Map(properties.filter((p) => !(p in storedAs)).map((p) => [p, p]));
  for (const [property, stored] of Object.entries(storedAs)) {
    if (!properties.includes(property)) {
      const message = `storedAs names "${property}", which is not a property of the schema${didYouMean(property, properties)}`;
      issues.push(issueAt(source, [...at, property], 'version-invalid', message, { key: true }));
      continue;
    }
    const holder = holders.get(stored);
    if (holder !== undefined) {
      const message = `"${property}" would be stored as "${stored}", where "${holder}" is stored already; store each property under its own name`;
      issues.push(issueAt(source, [...at, property], 'version-invalid', message));
      continue;
    }
    holders.set(stored, property);
  }
  return issues;
}

/** A version's properties by the name their values are stored under. */
function storedFields(side: Side): Map<string, { name: string; schema: unknown; required: boolean }> {
  const required = new Set(Array.isArray(side.schema.required) ? (side.schema.required as string[]) : []);
  const fields = new Map<string, { name: string; schema: unknown; required: boolean }>();
  for (const [name, property] of Object.entries(propertiesOf(side.schema))) {
    fields.set(side.storedAs[name] ?? name, { name, schema: followLocalRef(property, side.schema), required: required.has(name) });
  }
  return fields;
}

/** Keywords that say what a value is for, not which values are valid: versions may differ in them. */
const ANNOTATIONS = new Set(['description', 'title', 'examples', 'example', 'default', 'deprecated', '$comment']);
/** Keywords whose value maps names to schemas: every name there counts. */
const NAMED_SCHEMAS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/**
 * Whether `older` and `newer` can each read what the other writes to their shared store,
 * reported at the newer version's property: a property only one has must be optional
 * there, and one both have must be stored the same way, be required in both or neither
 * (or only in the older), and accept the same values, save a widened enum.
 */
function readableBothWays(older: Side, newer: Side): ManifestIssue[] {
  const before = storedFields(older);
  const after = storedFields(newer);
  const issues: ManifestIssue[] = [];
  const at = (side: Side, name: string) => [...side.at.base, 'properties', name];
  const refuse = (side: Side, name: string, why: string) =>
    issues.push(
      issueAt(
        side.at.source,
        at(side, name),
        'version-incompatible',
        `${why}; versions ${older.number} and ${newer.number} share their records, so each must read what the other writes`,
        { key: true },
      ),
    );
  for (const [stored, one] of after) {
    const other = before.get(stored);
    const known = stored === one.name ? `"${one.name}"` : `"${one.name}" (stored as "${stored}")`;
    if (!other) {
      if (one.required)
        refuse(
          newer,
          one.name,
          `${known} is required in version ${newer.number}, but records written through version ${older.number} lack it`,
        );
      continue;
    }
    if (one.required && !other.required) {
      refuse(
        newer,
        one.name,
        `${known} is required in version ${newer.number} but optional in version ${older.number}, whose records may lack it`,
      );
    } else if (fieldKind(one.schema, newer.schema) !== fieldKind(other.schema, older.schema)) {
      refuse(
        newer,
        one.name,
        `${known} is stored as ${fieldKind(one.schema, newer.schema)} in version ${newer.number} but as ${fieldKind(other.schema, older.schema)} in version ${older.number}`,
      );
    } else if (!enumWidened(other.schema, one.schema)) {
      refuse(
        newer,
        one.name,
        `${known} in version ${newer.number} leaves out enum values version ${older.number} writes; keep them (a later version may add values, never drop one)`,
      );
    } else if (JSON.stringify(constraints(one.schema)) !== JSON.stringify(constraints(other.schema))) {
      refuse(
        newer,
        one.name,
        `${known} accepts other values in version ${newer.number} than in version ${older.number}; between versions only descriptions, defaults and added enum values may change`,
      );
    }
  }
  for (const [stored, one] of before) {
    if (!after.has(stored) && one.required) {
      const message = `"${one.name}" is required in version ${older.number}, but records written through version ${newer.number} lack it (it has no property stored as "${stored}"); keep it in version ${newer.number} or make it optional in version ${older.number}`;
      issues.push(issueAt(older.at.source, at(older, one.name), 'version-incompatible', message, { key: true }));
    }
  }
  return issues;
}

function enumWidened(older: unknown, newer: unknown): boolean {
  const after = (newer as JsonSchema | null)?.enum;
  if (!Array.isArray(after)) return true;
  const before = (older as JsonSchema | null)?.enum;
  if (!Array.isArray(before)) return false;
  const values = new Set(after.map((v) => JSON.stringify(v)));
  return before.every((v) => values.has(JSON.stringify(v)));
}

/** A property's schema without its annotations (and its own enum, compared apart), keys sorted: what decides which values it accepts. */
function constraints(property: unknown): unknown {
  const { enum: _enum, ...rest } = (property ?? {}) as JsonSchema;
  return withoutAnnotations(rest);
}

function withoutAnnotations(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutAnnotations);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => !ANNOTATIONS.has(key))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => [
        key,
        NAMED_SCHEMAS.has(key) && typeof value === 'object' && value !== null
          ? Object.fromEntries(
              Object.entries(value)
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([name, child]) => [name, withoutAnnotations(child)]),
            )
          : withoutAnnotations(value),
      ]),
  );
}
