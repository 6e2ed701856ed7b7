import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ManifestIssueCode } from '../errors/codes.ts';
import { ajvErrorsToIssues } from './ajv-issues.ts';
import type { ManifestIssue } from './issues.ts';
import type { SourceFile } from './source.ts';

/** Reads a meta-schema shipped in `schemas/` and compiles it once. */
export function metaValidator(fileName: string, code: ManifestIssueCode) {
  const schema = JSON.parse(readFileSync(new URL(`../../schemas/${fileName}`, import.meta.url), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, verbose: true, strict: true }).compile(schema);
  return (source: SourceFile, value: unknown): ManifestIssue[] => (validate(value) ? [] : ajvErrorsToIssues(source, validate.errors, code));
}

/** Checks a parsed manifest against schemas/manifest.schema.json. */
export const validateManifestShape = metaValidator('manifest.schema.json', 'manifest-schema');
