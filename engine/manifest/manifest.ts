import type { ValidateFunction } from 'ajv';
import type { JsonSchema } from '../schema/json-schema.ts';
import type { Manifest } from '../schema/manifest-shape.ts';
import type { PathSegment, SourceFile } from '../source/source.ts';
import type { LoadedVersion } from './versions.ts';

export type { EndpointDeclaration, FilterDeclaration, Manifest } from '../schema/manifest-shape.ts';

/** Where the resource schema text lives: inline in the manifest, or in a `$ref`-ed file. */
export interface SchemaLocation {
  readonly source: SourceFile;
  /** Path of the schema inside `source` (`['schema']` inline, `[]` for a referenced file). */
  readonly base: readonly PathSegment[];
}

/** A manifest read, parsed and meta-validated, with its resource schema resolved. */
export interface LoadedManifest {
  readonly file: string;
  readonly source: SourceFile;
  readonly manifest: Manifest;
  readonly schema: JsonSchema;
  readonly schemaAt: SchemaLocation;
  /** The record validator the schema check compiled (defaults filled in, integers bounded), which the plan uses. */
  readonly validate: ValidateFunction;
  /** Earlier versions served beside this one (`versions:`), latest first. */
  readonly versions: readonly LoadedVersion[];
  /** Files this manifest was built from (itself and any `$ref`-ed schema file). */
  readonly dependencies: readonly string[];
}
