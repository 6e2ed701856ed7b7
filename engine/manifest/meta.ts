import type { ManifestIssueCode } from '../errors/codes.ts';
import { type MetaSchemaName, metaSchemaValidator } from '../meta-schemas.ts';
import { ajvErrorsToIssues } from '../source/ajv-issues.ts';
import type { ManifestIssue } from '../source/issues.ts';
import type { SourceFile } from '../source/source.ts';

/** Checks a value against one of the meta-schemas in `schemas/`, compiled on first use. */
export function metaValidator(name: MetaSchemaName, code: ManifestIssueCode) {
  return (source: SourceFile, value: unknown): ManifestIssue[] => {
    const validate = metaSchemaValidator(name);
    return validate(value) ? [] : ajvErrorsToIssues(source, validate.errors, code);
  };
}

/** Checks a parsed manifest against schemas/manifest.schema.json. */
export const validateManifestShape = metaValidator('manifest', 'manifest-schema');
