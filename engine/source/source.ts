import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import type { ManifestIssueCode } from '../errors/codes.ts';
import type { ManifestIssue } from './issues.ts';

/** A YAML (or JSON) file parsed with node positions, so any value can be traced back to line:col. */
export interface SourceFile {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

/**
 * Parses text into a positioned document; YAML errors come back as issues, never thrown.
 * `value` is the document's plain value as parsed (see {@link sourceValue}), undefined
 * when there are issues: made once here, as the alias check needs it anyway.
 */
export function parseSource(file: string, text: string): { source: SourceFile; issues: ManifestIssue[]; value?: unknown } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source: SourceFile = { file, text, doc, lines };
  const issues = doc.errors.map((error) => {
    const { line, col } = lines.linePos(pastIndentation(text, error.pos[0]));
    const message = yamlMessage(error.code, error.message);
    return { code: 'yaml-syntax', severity: 'error', file, line, col, pointer: '', message } as const;
  });
  // toJS throws, rather than reporting, when aliases expand past the bound (an alias bomb).
  let value: unknown;
  if (!issues.length) {
    try {
      value = sourceValue(source);
    } catch (error) {
      let at = 0;
      visit(doc, {
        Alias(_, node) {
          at = node.range?.[0] ?? at;
          return visit.BREAK;
        },
      });
      const { line, col } = lines.linePos(at);
      issues.push({ code: 'yaml-syntax', severity: 'error', file, line, col, pointer: '', message: (error as Error).message });
    }
  }
  return issues.length ? { source, issues } : { source, issues, value };
}

/** The library's words, made actionable for the YAML mistakes people make most. */
function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS')
    return 'this file must hold one YAML document: remove the `---` line and whatever follows it, or move it to its own file';
  if (code === 'BAD_INDENT' && message.includes('same column'))
    return `${message}: indent this key exactly like the other keys of its mapping`;
  if (code === 'TAB_AS_INDENT') return `${message}: indent with spaces`;
  if (code === 'DUPLICATE_KEY') return `${message}: keep one of the two entries`;
  return message;
}

/** The yaml library places some errors at the start of an indented line; point at its first character instead. */
function pastIndentation(text: string, offset: number): number {
  let at = offset;
  const lineStart = at === 0 || text[at - 1] === '\n';
  if (!lineStart) return offset;
  while (text[at] === ' ' || text[at] === '\t') at++;
  return at;
}

/** The plain value of a parsed document (aliases expanded, bounded against alias bombs). */
export function sourceValue(source: SourceFile): unknown {
  return source.doc.toJS({ maxAliasCount: 100 });
}

export type PathSegment = string | number;

/** `/endpoints/0/filters` -> `['endpoints', 0, 'filters']` (JSON Pointer unescaping included). */
export function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function pathToPointer(path: readonly PathSegment[]): string {
  return path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/**
 * Line and column of the node at `path`, or of the deepest existing ancestor when
 * the path does not exist (a missing property points at its parent object).
 * With `key: true` and a map entry at the end of the path, points at the key instead
 * (an unknown property is best shown by its name).
 */
export function locate(source: SourceFile, path: readonly PathSegment[], options: { key?: boolean } = {}) {
  let node: unknown = source.doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      const target = last && options.key ? pair.key : (pair.value ?? pair.key);
      node = target;
      offset = rangeStart(target) ?? offset;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      node = item;
      offset = rangeStart(item) ?? offset;
    } else break;
  }
  return source.lines.linePos(offset);
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null)?.range?.[0];
}

/** Builds an issue positioned at `path` in `source`. */
export function issueAt(
  source: SourceFile,
  path: readonly PathSegment[],
  code: ManifestIssueCode,
  message: string,
  options: { key?: boolean; severity?: 'error' | 'warning' } = {},
): ManifestIssue {
  const { line, col } = locate(source, path, options);
  return {
    code,
    severity: options.severity ?? 'error',
    file: source.file,
    line,
    col,
    pointer: pathToPointer(path),
    message,
  };
}
