import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, type Node, parseDocument, stringify } from 'yaml';

/** A path into a YAML document: map keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

/** One change: set a value (adding the key or item when missing), or delete one. */
export type YamlEdit =
  | { readonly op: 'set'; readonly path: YamlPath; readonly value: unknown }
  | { readonly op: 'delete'; readonly path: YamlPath };

/**
 * `text` with `edits` made to it, touching only the characters of what changed: a new
 * scalar replaces the old one's text (its quoting kept where the value allows it), a new
 * key or item is a new line at its siblings' indentation (or an entry of a flow `{ }` or
 * `[ ]`), a deleted one loses its own lines. Comments, order, blank lines and every other
 * line stay as they were. The result is parsed back and compared with the edits made to
 * the data; where the two differ (a layout these rules do not cover), the edits are made
 * through yaml's Document API instead, which keeps comments but may reformat, and
 * `reformatted` says so.
 */
export function editYaml(text: string, edits: readonly YamlEdit[]): { text: string; reformatted: boolean } {
  const expected = structuredClone(parseDocument(text).toJS());
  for (const edit of edits) applyToData(expected, edit);
  let edited = text;
  try {
    for (const edit of edits) edited = spliceEdit(edited, edit);
    if (isDeepStrictEqual(parseDocument(edited).toJS(), expected) && parseDocument(edited).errors.length === 0)
      return { text: edited, reformatted: false };
  } catch {
    // A layout the splice rules do not cover: the Document API below.
  }
  const doc = parseDocument(text);
  for (const edit of edits) {
    if (edit.op === 'set') doc.setIn(edit.path, doc.createNode(edit.value));
    else doc.deleteIn(edit.path);
  }
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: false }), reformatted: true };
}

function applyToData(data: unknown, edit: YamlEdit): void {
  let at = data as Record<string | number, unknown>;
  for (const key of edit.path.slice(0, -1)) {
    at[key] ??= typeof key === 'number' ? [] : {};
    at = at[key] as Record<string | number, unknown>;
  }
  const last = edit.path.at(-1) as string | number;
  if (edit.op === 'set') at[last] = structuredClone(edit.value);
  else if (Array.isArray(at)) at.splice(last as number, 1);
  else delete at[last];
}

/** One edit made to the text. Throws when the layout is one it does not handle. */
function spliceEdit(text: string, edit: YamlEdit): string {
  const doc = parseDocument(text);
  const node = doc.getIn(edit.path, true) as Node | undefined;
  const parent = (edit.path.length === 1 ? doc.contents : doc.getIn(edit.path.slice(0, -1), true)) as Node | undefined;
  if (edit.op === 'delete') {
    if (!node) return text;
    return deleteEntry(text, parent, edit.path.at(-1) as string | number);
  }
  if (node && isScalar(node) && isScalarValue(edit.value)) {
    const [start, end] = node.range as [number, number, number];
    return text.slice(0, start) + scalarText(edit.value, inFlow(doc, edit.path), node.type) + text.slice(end);
  }
  if (node && isSeq(node) && Array.isArray(edit.value) && edit.value.every(isScalarValue) && node.flow) {
    const [start, end] = node.range as [number, number, number];
    return `${text.slice(0, start)}[${edit.value.map((v) => scalarText(v, true)).join(', ')}]${text.slice(end)}`;
  }
  if (node) {
    // Anything else already there (a block list, a map replaced whole): out with the old entry, in with the new.
    return spliceEdit(deleteEntry(text, parent, edit.path.at(-1) as string | number), edit);
  }
  if (!parent) throw new Error('no parent');
  return addEntry(text, parent, edit.path.at(-1) as string | number, edit.value);
}

type ScalarValue = string | number | boolean | null;
function isScalarValue(value: unknown): value is ScalarValue {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** A scalar as YAML text: plain when it reads back as itself (and, in a flow collection, has no flow indicator), else double-quoted. */
function scalarText(value: ScalarValue, flow: boolean, type?: string): string {
  if (typeof value !== 'string') return String(value);
  if (type === 'QUOTE_SINGLE' && !value.includes('\n')) return `'${value.replaceAll("'", "''")}'`;
  const plain = stringify(value).trimEnd();
  const readsBack = !plain.includes('\n') && parseDocument(plain).toJS() === value && !/^['"]/.test(plain);
  if (readsBack && !(flow && /[,[\]{}]/.test(value)) && type !== 'QUOTE_DOUBLE') return plain;
  return JSON.stringify(value);
}

function inFlow(doc: ReturnType<typeof parseDocument>, path: YamlPath): boolean {
  for (let i = 1; i < path.length; i++) {
    const at = doc.getIn(path.slice(0, i), true) as Node | undefined;
    if (at && (isMap(at) || isSeq(at)) && at.flow) return true;
  }
  return false;
}

/** The whole lines from `start` to `end`: from the start of `start`'s line to past the newline ending `end`'s. */
function lineSpan(text: string, start: number, end: number): [number, number] {
  const from = text.lastIndexOf('\n', start - 1) + 1;
  const newline = text.indexOf('\n', Math.max(end - 1, start));
  return [from, newline < 0 ? text.length : newline + 1];
}

function column(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

function deleteEntry(text: string, parent: Node | undefined, key: string | number): string {
  if (!parent || !(isMap(parent) || isSeq(parent))) throw new Error('no collection');
  const index = isMap(parent) ? parent.items.findIndex((p) => isScalar(p.key) && p.key.value === key) : (key as number);
  const item = parent.items[index];
  if (!item) return text;
  const keyNode = (isMap(parent) ? (item as { key: Node }).key : item) as Node;
  const valueNode = (isMap(parent) ? (item as { value: Node | null }).value : item) as Node | null;
  const start = (keyNode.range as [number, number, number])[0];
  const end = ((valueNode ?? keyNode).range as [number, number, number])[1];
  if (parent.flow) {
    // `a, b, c`: b goes with the comma before it (or after it, for the first).
    const after = text.slice(end).match(/^\s*,\s*/)?.[0];
    const before = text.slice(0, start).match(/,\s*$/)?.[0];
    if (index > 0 && before) return text.slice(0, start - before.length) + text.slice(end);
    if (after) return text.slice(0, start) + text.slice(end + after.length);
    return text.slice(0, start) + text.slice(end);
  }
  // A block entry: its lines, from its key (or `- `) to the end of its value.
  const [from, to] = lineSpan(text, start, end);
  if (text.slice(from, start).trim().replace(/^-\s*/, '') !== '' && !isSeq(parent)) throw new Error('key shares its line');
  if (isSeq(parent) && text.slice(from, start).trim() !== '-') throw new Error('item shares its line');
  return text.slice(0, from) + text.slice(to);
}

function addEntry(text: string, parent: Node, key: string | number, value: unknown): string {
  if (!(isMap(parent) || isSeq(parent))) throw new Error('not a collection');
  const entry = isMap(parent) ? { [key]: value } : undefined;
  if (parent.flow) {
    const [, end] = parent.range as [number, number, number];
    const close = text.lastIndexOf(isMap(parent) ? '}' : ']', end - 1);
    const inner = isMap(parent) ? `${String(key)}: ${flowText(value)}` : flowText(value);
    const empty = parent.items.length === 0;
    const head = text.slice(0, close).replace(/\s*$/, '');
    return `${head}${empty ? '' : ', '}${inner}${empty ? '' : ' '}${text.slice(close)}`;
  }
  const last = parent.items.at(-1);
  if (!last) throw new Error('empty block collection');
  const lastStart = ((isMap(parent) ? (last as { key: Node }).key : last) as Node).range as [number, number, number];
  const lastEnd = (((isMap(parent) ? (last as { value: Node | null }).value : last) ?? (last as { key: Node }).key) as Node).range as [
    number,
    number,
    number,
  ];
  const firstStart = ((isMap(parent) ? (parent.items[0] as { key: Node }).key : parent.items[0]) as Node).range as [number, number, number];
  let indent = column(text, firstStart[0]);
  if (isSeq(parent)) indent = text.lastIndexOf('-', firstStart[0]) - (text.lastIndexOf('\n', firstStart[0] - 1) + 1);
  const [, insertAt] = lineSpan(text, lastStart[0], lastEnd[1]);
  const pad = ' '.repeat(indent);
  const body = isMap(parent)
    ? stringify(entry, { lineWidth: 0, flowCollectionPadding: false })
    : stringify([value], { lineWidth: 0, flowCollectionPadding: false });
  const lines = body
    .trimEnd()
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
  const before = text.slice(0, insertAt);
  return `${before}${before.endsWith('\n') ? '' : '\n'}${lines}\n${text.slice(insertAt)}`;
}

function flowText(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding: false }).trimEnd();
}
