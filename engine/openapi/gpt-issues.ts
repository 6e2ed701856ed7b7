import type { OpenAPIObject } from 'openapi3-ts/oas31';
import type { AutomationPlan, JsonSchema } from '../compile/plan.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { propertiesOf } from '../schema/fields.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, type PathSegment } from '../source/source.ts';
import { boundIssues } from './gpt-bounds.ts';
import { type GptFinding, lintGptDocument } from './gpt-profile.ts';
import { reverseLists } from './reverse-lists.ts';

export type GptSeverity = 'warning' | 'error';

/**
 * The GPT profile of one automation, as manifest issues at the lines that produced each
 * finding: its own OpenAPI document against the GPT Actions limits, and its schema
 * against what a model needs to fill a field in (a description; an example where a
 * pattern decides what is valid). Warnings in `council validate`; errors with `--profile gpt`.
 */
export function gptProfileIssues(loaded: LoadedManifest, plan: AutomationPlan, doc: OpenAPIObject, severity: GptSeverity): ManifestIssue[] {
  // One issue per place: a filter's long description reaches every operator's parameter.
  const issues = new Map<string, ManifestIssue>();
  for (const finding of lintGptDocument(doc)) {
    const issue = documentIssue(loaded, plan, finding, severity);
    const key = `${issue.code}:${issue.file}:${issue.line}:${issue.col}`;
    if (!issues.has(key)) issues.set(key, issue);
  }
  return [...issues.values(), ...schemaIssues(loaded, loaded.schema, [], severity), ...boundIssues(loaded, severity)];
}

function documentIssue(loaded: LoadedManifest, plan: AutomationPlan, finding: GptFinding, severity: GptSeverity): ManifestIssue {
  const { source, manifest } = loaded;
  const at = (path: PathSegment[], message = finding.message) => issueAt(source, path, finding.rule, message, { severity });
  if (finding.rule === 'gpt-too-many-operations') return at(['endpoints']);
  if (finding.rule === 'gpt-operation-id') return at(manifest.singular === undefined ? ['name'] : ['singular']);
  // A reverse list (`listAccountTickets`) is the list endpoint's, published again.
  const reverse = reverseLists(plan).some((r) => r.endpoint.operationId === finding.operationId);
  const index = plan.endpoints.findIndex((e) => (reverse ? e.operation === 'list' : e.operationId === finding.operationId));
  const declared = manifest.endpoints[index];
  const endpoint: PathSegment[] = ['endpoints', index];
  switch (finding.rule) {
    case 'gpt-description-too-long':
      // Generated texts stay within the limit, so a long one is the endpoint's own.
      return at(declared?.[finding.field] === undefined ? endpoint : [...endpoint, finding.field], `${finding.message}: shorten it`);
    case 'gpt-header':
      return at(
        ['requireIfMatch'],
        `${finding.message}: with \`requireIfMatch: true\` a GPT cannot write; remove it for automations a GPT calls`,
      );
    case 'gpt-parameter-too-long': {
      const field = finding.parameter.split('[')[0] ?? '';
      if (Object.hasOwn(propertiesOf(loaded.schema), field)) {
        const { source: schemaSource, base } = loaded.schemaAt;
        return issueAt(
          schemaSource,
          [...base, 'properties', field, 'description'],
          finding.rule,
          `${finding.message}: shorten the property's description`,
          {
            severity,
          },
        );
      }
      return at(endpoint);
    }
  }
}

/** A property without a description, or with a pattern and no example, at every level of objects. */
function schemaIssues(loaded: LoadedManifest, schema: JsonSchema, path: PathSegment[], severity: GptSeverity): ManifestIssue[] {
  const { source, base } = loaded.schemaAt;
  const issues: ManifestIssue[] = [];
  for (const [name, value] of Object.entries(propertiesOf(schema))) {
    if (typeof value !== 'object' || value === null || '$ref' in value) continue;
    const property = value as JsonSchema;
    const at = [...base, ...path, 'properties', name];
    const where = [...path.filter((p) => p !== 'properties'), name].join('.');
    if (typeof property.description !== 'string') {
      issues.push(
        issueAt(
          source,
          at,
          'gpt-description-missing',
          `property "${where}" has no description: a model fills it in from its name alone; say what it holds`,
          {
            key: true,
            severity,
          },
        ),
      );
    }
    if (typeof property.pattern === 'string' && property.examples === undefined && property.example === undefined) {
      issues.push(
        issueAt(
          source,
          at,
          'gpt-example-missing',
          `property "${where}" must match a pattern but has no \`examples\`: give one valid value, so a model can see the format`,
          {
            key: true,
            severity,
          },
        ),
      );
    }
    if (property.type === 'object' && property.properties)
      issues.push(...schemaIssues(loaded, property as JsonSchema, [...path, 'properties', name], severity));
  }
  return issues;
}
