// Runs in the browser (bundled with yaml-editor.ts): completion of manifest keys, and of
// the values a key allows, from the manifest meta-schema the console serves. Where the
// cursor is in the YAML is read from indentation alone (the text may not parse while one
// types): the keys of the lines above that are less indented are the path to it.
import type { CompletionContext, CompletionResult } from '@codemirror/autocomplete';

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  description?: string;
  oneOf?: Schema[];
  anyOf?: Schema[];
};

const KEY = /^(\s*)(?:-\s+)?([A-Za-z_$][\w$-]*)\s*:/;

/** The keys from the document's top to the map holding a key that starts at `column` on line `lineNo` (1-based). */
export function pathAt(lines: readonly string[], lineNo: number, column: number): string[] {
  const path: string[] = [];
  let target = column;
  for (let i = lineNo - 2; i >= 0 && target > 0; i--) {
    const line = lines[i] ?? '';
    const m = KEY.exec(line);
    if (!m) continue;
    const start = (m[1] ?? '').length;
    const keyColumn = line.indexOf(m[2] ?? '', start);
    if (start < target && keyColumn < target) {
      path.unshift(m[2] ?? '');
      target = start;
    }
  }
  return path;
}

/** The schema a path leads to, through `$ref`s, list items and the first branch of a `oneOf`/`anyOf` with properties. */
export function schemaAt(root: Schema, path: readonly string[]): Schema | undefined {
  const deref = (s: Schema | undefined): Schema | undefined => {
    let node = s;
    for (let hops = 0; node?.$ref && hops < 10; hops++) {
      const name = node.$ref.replace('#/$defs/', '');
      node = (root as { $defs?: Record<string, Schema> }).$defs?.[name];
    }
    if (node && !node.properties && !node.items) {
      const branch = (node.oneOf ?? node.anyOf)?.map(deref).find((b) => b?.properties);
      if (branch) return branch;
    }
    return node;
  };
  let node = deref(root);
  for (const key of path) {
    node = deref(node?.properties?.[key]);
    if (node?.items) node = deref(node.items);
  }
  return node;
}

/** A completion source over `root`, the manifest meta-schema. */
export function metaCompletion(root: Schema) {
  return (context: CompletionContext): CompletionResult | null => {
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, context.pos - line.from);
    const lines = context.state.doc.toString().split('\n');
    // `key: va|`: the values the key allows.
    const value = /^(\s*)(?:-\s+)?([A-Za-z_$][\w$-]*):\s+([\w-]*)$/.exec(before);
    if (value) {
      const keyColumn = before.indexOf(value[2] ?? '');
      const property = schemaAt(root, [...pathAt(lines, line.number, keyColumn), value[2] ?? '']);
      if (!property?.enum) return null;
      return {
        from: context.pos - (value[3] ?? '').length,
        options: property.enum.map((v) => ({ label: String(v), type: 'enum' })),
      };
    }
    // `  ke|` or `  - ke|`: the keys the map here takes.
    const key = /^(\s*)(-\s+)?([A-Za-z_$][\w$-]*)?$/.exec(before);
    if (!key || (!context.explicit && !key[3])) return null;
    const column = (key[1] ?? '').length + (key[2] ?? '').length;
    const here = schemaAt(root, pathAt(lines, line.number, column));
    if (!here?.properties) return null;
    return {
      from: context.pos - (key[3] ?? '').length,
      options: Object.entries(here.properties).map(([name, property]) => ({
        label: name,
        type: 'property',
        apply: `${name}: `,
        ...(property.description ? { info: property.description } : {}),
      })),
    };
  };
}
