import { isScalar, visit } from 'yaml';
import type { ManifestIssue } from '../source/issues.ts';
import type { SourceFile } from '../source/source.ts';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** The first variable a config text reads: `${MONGODB_URL:-}` → `MONGODB_URL`. */
export function firstVariable(text: string): string | undefined {
  return new RegExp(REFERENCE.source).exec(text)?.[1];
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string scalar of the document, in
 * place, before it is turned into plain values. A `${VAR}` without default whose
 * variable is unset is an issue at that scalar; values never appear in issues.
 */
export function interpolateEnv(source: SourceFile, env: NodeJS.ProcessEnv): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  visit(source.doc, {
    Scalar(_, node) {
      if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('${')) return;
      node.value = node.value.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        const { line, col } = source.lines.linePos(node.range?.[0] ?? 0);
        issues.push({
          code: 'config-env-missing',
          severity: 'error',
          file: source.file,
          line,
          col,
          pointer: '',
          message: `environment variable ${name} is not set (write \${${name}:-default} to make it optional)`,
        });
        return '';
      });
    },
  });
  return issues;
}
