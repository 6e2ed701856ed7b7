import type { ValidateFunction } from 'ajv';
import { isMap, isPair, isScalar, visit } from 'yaml';
import { didYouMean } from '../errors/did-you-mean.ts';
import { propertiesOf } from '../schema/fields.ts';
import { ENGINE_FIELDS, type JsonSchema } from '../schema/json-schema.ts';
import { linearRegExpProblem } from '../schema/linear-regexp.ts';
import { compilingAjv, createRecordAjv } from '../schema/record-ajv.ts';
import { boundIntegers } from '../schema/safe-integers.ts';
import { ajvErrorsToIssues } from '../source/ajv-issues.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, type PathSegment, pointerToPath } from '../source/source.ts';
import type { SchemaLocation } from './manifest.ts';

/** One instance checks every schema against the meta-schema, which it compiles once. */
const metaValidator = createRecordAjv();

/** Names JavaScript treats specially on objects: never a record property. */
const UNSAFE_NAMES = ['__proto__', 'constructor', 'prototype'];

/** Column and query-parameter safe: PostgreSQL identifiers are at most 63 bytes. */
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Checks that the resource schema is a valid JSON Schema that ajv can compile in strict
 * mode, and that it describes an object whose top-level properties can be stored. The
 * record validator compiled for the check (defaults filled in, integers bounded to what a
 * double carries exactly) comes back with the issues: the plan uses it as it is, so no
 * schema is compiled twice (with 1,000 automations, a second compile was a sixth of start).
 */
export function checkResourceSchema(schema: JsonSchema, at: SchemaLocation): { issues: ManifestIssue[]; validate?: ValidateFunction } {
  if (!metaValidator.validateSchema(schema)) {
    const issues = ajvErrorsToIssues(at.source, metaValidator.errors, 'schema-invalid', at.base).map((i) => ({
      ...i,
      message: `invalid JSON Schema: ${i.message}`,
    }));
    return { issues };
  }
  // Before ajv compiles anything, so a pattern RE2 cannot run is reported where it is written.
  const unsupported = unsupportedPatterns(schema, at);
  if (unsupported.length) return { issues: unsupported };
  const issues: ManifestIssue[] = [];
  const ajv = compilingAjv();
  let validate: ValidateFunction | undefined;
  try {
    // ajv's validator fills defaults in place; it must never see the schema the manifest keeps.
    validate = ajv.compile(boundIntegers(structuredClone(schema)));
    issues.push(...checkDefaults(validate, schema, at));
  } catch (error) {
    issues.push(compileIssue(error, at, Object.keys(ajv.formats)));
  }
  if (schema.type !== 'object' || typeof schema.properties !== 'object') {
    issues.push(issueAt(at.source, at.base, 'schema-not-object', 'schema: a record schema needs `type: object` and `properties`'));
  }
  for (const name of Object.keys(propertiesOf(schema))) {
    const path = [...at.base, 'properties', name];
    if ((ENGINE_FIELDS as readonly string[]).includes(name)) {
      issues.push(
        issueAt(
          at.source,
          path,
          'property-reserved',
          `property "${name}" is managed by the engine on every record; remove it from the schema`,
          { key: true },
        ),
      );
    } else if (UNSAFE_NAMES.includes(name)) {
      issues.push(
        issueAt(
          at.source,
          path,
          'property-name-invalid',
          `property "${name}" cannot be used: JavaScript objects give this name a special meaning; rename it`,
          { key: true },
        ),
      );
    } else if (!PROPERTY_NAME.test(name)) {
      issues.push(
        issueAt(
          at.source,
          path,
          'property-name-invalid',
          `property "${name}" must match ${PROPERTY_NAME.source} (letters, digits, underscore) so it can name a column and a query parameter`,
          { key: true },
        ),
      );
    }
  }
  return validate ? { issues, validate } : { issues };
}

/**
 * A top-level `default` must satisfy its own property schema: ajv fills defaults in
 * without checking them, so a bad one would make every create that omits it fail.
 */
function checkDefaults(validate: ValidateFunction, schema: JsonSchema, at: SchemaLocation): ManifestIssue[] {
  const properties = propertiesOf(schema);
  const withDefault = Object.keys(properties).filter((name) => (properties[name] as JsonSchema | null)?.default !== undefined);
  if (withDefault.length === 0) return [];
  validate(Object.fromEntries(withDefault.map((name) => [name, (properties[name] as JsonSchema).default])));
  return withDefault.flatMap((name) => {
    const error = validate.errors?.find((e) => e.instancePath === `/${name}` || e.instancePath.startsWith(`/${name}/`));
    if (!error) return [];
    const path = [...at.base, 'properties', name, 'default'];
    return [
      issueAt(
        at.source,
        path,
        'schema-default-invalid',
        `property "${name}": default ${JSON.stringify((properties[name] as JsonSchema).default)} ${error.message ?? 'does not match the property schema'}`,
      ),
    ];
  });
}

/**
 * ajv's compile errors name the culprit in prose, not as a path: read it out of the
 * message (unknown keyword, unknown format, unresolved $ref) and point at it.
 */
function compileIssue(error: unknown, at: SchemaLocation, formats: readonly string[]): ManifestIssue {
  const raw = error instanceof Error ? error.message : String(error);
  const keyword = /unknown keyword: "([^"]+)"/.exec(raw)?.[1];
  const format = /unknown format "([^"]+)" ignored in schema at path "#([^"]*)"/.exec(raw);
  const ref = /can't resolve reference (\S+)/.exec(raw)?.[1];
  let message = `invalid JSON Schema: ${raw}`;
  let offset: number | undefined;
  if (keyword) {
    message = `unknown keyword "${keyword}"${didYouMean(keyword, SCHEMA_KEYWORDS)}; strict mode refuses unknown keywords so typos cannot disable a rule`;
    offset = findPairOffset(at, (key) => key === keyword);
  } else if (format) {
    const [, name = '', pointer = ''] = format;
    message = `unknown format "${name}"${didYouMean(name, formats)}; known formats: ${formats.join(', ')}`;
    offset = offsetOf(at, [...pointerToPath(pointer), 'format']);
  } else if (ref) {
    message = `$ref "${ref}" does not resolve to anything in this schema`;
    offset = findPairOffset(at, (key, value) => key === '$ref' && value === ref, true);
  }
  const issue = issueAt(at.source, at.base, 'schema-invalid', message);
  if (offset === undefined) return issue;
  const { line, col } = at.source.lines.linePos(offset);
  return { ...issue, line, col };
}

function offsetOf(at: SchemaLocation, path: readonly PathSegment[]): number | undefined {
  return (at.source.doc.getIn([...at.base, ...path], true) as { range?: number[] } | undefined)?.range?.[0];
}

/** Offset of the first map entry under the schema whose key (and value) match: the key, or the value with `atValue`. */
function findPairOffset(at: SchemaLocation, match: (key: unknown, value: unknown) => boolean, atValue = false): number | undefined {
  const root = at.base.length ? at.source.doc.getIn(at.base, true) : at.source.doc.contents;
  let found: number | undefined;
  if (!isMap(root)) return undefined;
  visit(root, {
    Pair(_, pair) {
      if (isPair(pair) && isScalar(pair.key) && match(pair.key.value, isScalar(pair.value) ? pair.value.value : undefined)) {
        found = ((atValue ? pair.value : pair.key) as { range?: number[] } | null)?.range?.[0];
        return visit.BREAK;
      }
    },
  });
  return found;
}

/** JSON Schema 2020-12 keywords, for "did you mean" on an unknown one. */
const SCHEMA_KEYWORDS = [
  '$ref',
  '$defs',
  '$id',
  '$schema',
  '$anchor',
  '$comment',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'items',
  'prefixItems',
  'contains',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minContains',
  'maxContains',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedItems',
  'unevaluatedProperties',
  'title',
  'description',
  'default',
  'examples',
  'example',
  'deprecated',
  'readOnly',
  'writeOnly',
  'contentMediaType',
  'contentEncoding',
];

/** Longest `pattern` accepted: a record field needs no more, and length is work per request. */
const MAX_PATTERN_LENGTH = 1000;

/**
 * Every `pattern` (and `patternProperties` key) the linear-time engine cannot run
 * (lookaround, backreferences, invalid syntax), or longer than {@link MAX_PATTERN_LENGTH}.
 */
function unsupportedPatterns(schema: unknown, at: SchemaLocation, path: PathSegment[] = []): ManifestIssue[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const issues: ManifestIssue[] = [];
  const check = (pattern: string, where: PathSegment[], key = false) => {
    const tooLong = pattern.length > MAX_PATTERN_LENGTH;
    const problem = tooLong ? undefined : linearRegExpProblem(pattern);
    if (!tooLong && problem === undefined) return;
    const message = tooLong
      ? `pattern ${JSON.stringify(pattern.slice(0, 60))}… is ${pattern.length} characters long (at most ${MAX_PATTERN_LENGTH}); shorten it`
      : `pattern ${JSON.stringify(pattern.slice(0, 60))} cannot run on the linear-time engine (${problem}); patterns run on RE2, which has no lookaround or backreferences: rewrite it without them`;
    issues.push(issueAt(at.source, [...at.base, ...where], 'pattern-unsupported', message, { key }));
  };
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'pattern' && typeof value === 'string') check(value, [...path, key]);
    else if (key === 'patternProperties' && typeof value === 'object' && value !== null) {
      for (const name of Object.keys(value)) check(name, [...path, key, name], true);
    }
    if (typeof value === 'object' && value !== null)
      issues.push(...unsupportedPatterns(value, at, [...path, Array.isArray(schema) ? Number(key) : key]));
  }
  return issues;
}
