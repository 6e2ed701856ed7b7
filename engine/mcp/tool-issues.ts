import type { AutomationPlan } from '../compile/plan.ts';
import type { ManifestIssueCode } from '../errors/codes.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, type PathSegment } from '../source/source.ts';
import { type ClientFinding, checkTool } from './client-rules.ts';
import type { ToolSource } from './tool-input.ts';
import { type Tool, toolsOf } from './tools.ts';

const CODES: Readonly<Record<ClientFinding['rule'], ManifestIssueCode>> = {
  'tool-name': 'mcp-tool-name',
  'property-name': 'mcp-property-name',
  keyword: 'mcp-schema-unsupported',
  'closed-object': 'mcp-schema-unsupported',
  limit: 'mcp-schema-too-large',
};

const CLIENT_NAMES: Readonly<Record<ClientFinding['client'], string>> = {
  claude: 'Claude',
  gemini: 'Gemini',
  openai: 'OpenAI (strict mode)',
};

/**
 * The MCP tools of one automation against what Claude, Gemini and OpenAI accept, as
 * manifest issues at the lines that produced them: every finding of the client rules
 * (client-rules.ts) on each tool, and every part of the record schema the tools had to
 * carry as JSON text instead. Warnings in `council validate`; errors with `--profile gpt`.
 */
export function mcpToolIssues(loaded: LoadedManifest, plan: AutomationPlan, severity: 'warning' | 'error'): ManifestIssue[] {
  // One issue per place: create, update and replace share the record's properties.
  const issues = new Map<string, ManifestIssue>();
  const keep = (issue: ManifestIssue) => {
    const key = `${issue.code}:${issue.file}:${issue.line}:${issue.col}`;
    if (!issues.has(key)) issues.set(key, issue);
  };
  const { source: schemaSource, base } = loaded.schemaAt;
  for (const tool of toolsOf(plan)) {
    for (const adaptation of tool.input.adaptations) {
      const message = `property "${dotted(adaptation.path)}" ${adaptation.message}; ${consequence(adaptation.code)}: ${adaptation.advice}`;
      keep(issueAt(schemaSource, [...base, ...adaptation.path], adaptation.code, message, { key: true, severity }));
    }
    for (const finding of checkTool(tool.definition)) {
      const message = `${tool.definition.name}: ${CLIENT_NAMES[finding.client]} refuses this tool: ${finding.message}`;
      keep(findingIssue(loaded, plan, tool, finding, message, severity));
    }
  }
  return [...issues.values()];
}

/** What the tools do about it. */
function consequence(code: 'mcp-property-name' | 'mcp-schema-unsupported'): string {
  const carried = 'which models fill in less reliably';
  return code === 'mcp-property-name'
    ? `so MCP tools take the object that holds it as JSON text, ${carried}`
    : `a tool input Claude, Gemini and OpenAI (strict mode) all accept cannot describe that, so MCP tools take it as JSON text, ${carried}`;
}

function findingIssue(
  loaded: LoadedManifest,
  plan: AutomationPlan,
  tool: Tool,
  finding: ClientFinding,
  message: string,
  severity: 'warning' | 'error',
): ManifestIssue {
  const code = CODES[finding.rule];
  if (finding.rule === 'tool-name') {
    return issueAt(loaded.source, loaded.manifest.singular === undefined ? ['name'] : ['singular'], code, message, { severity });
  }
  // A reverse list's tool is the list endpoint's, at another path.
  const index = tool.reference ? plan.endpoints.findIndex((e) => e.operation === 'list') : plan.endpoints.indexOf(tool.endpoint);
  const source = sourceOf(tool.input.sources, finding.pointer);
  if (source && 'schema' in source) {
    return issueAt(loaded.schemaAt.source, [...loaded.schemaAt.base, ...source.schema], code, message, { key: true, severity });
  }
  if (source && 'filter' in source) {
    const declared = loaded.manifest.endpoints[index]?.filters ?? [];
    const at = declared.findIndex((f) => (typeof f === 'string' ? f : f.field) === source.filter);
    return issueAt(loaded.source, ['endpoints', index, 'filters', at], code, message, { severity });
  }
  return issueAt(loaded.source, ['endpoints', index], code, message, { severity });
}

/** The manifest source of the nearest tool-schema node at or above `pointer` that has one. */
function sourceOf(sources: ReadonlyMap<string, ToolSource>, pointer: string): ToolSource | undefined {
  for (let at = pointer; ; at = at.slice(0, at.lastIndexOf('/'))) {
    const source = sources.get(at);
    if (source) return source;
    if (at === '') return undefined;
  }
}

/** `['properties', 'items', 'items', 'properties', 'sku']` -> `items.sku`. */
function dotted(path: readonly PathSegment[]): string {
  const names = path.filter((segment, i) => path[i - 1] === 'properties' || (path[i - 1] === '$defs' && segment !== 'properties'));
  return names.join('.') || '(the record)';
}
