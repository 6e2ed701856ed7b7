/**
 * The shell examples of a Markdown file, as a reader sees them: each ```sh block, split
 * into commands (a line, and the lines a trailing `\` continues it onto), each with the
 * comments around it, and the JSON a `# {...}` comment under it promises. The promise is
 * read leniently, as a reader would: `...` or `…` stands for more members, items or text.
 */

export interface ShellBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** Why the block is not run, from `<!-- not run by ...: why -->` on the line before it. */
  readonly notRun?: string;
  readonly commands: readonly ShellCommand[];
}

export interface ShellCommand {
  readonly line: number;
  /** The command as written (continuation lines included). */
  readonly text: string;
  /** The comment on its last line, after `#`. */
  readonly trailing: string;
  /** Comment lines just before it (after the previous command). */
  readonly before: readonly string[];
  /** The JSON promised by the `# {` or `# [` comment lines under it, if any. */
  readonly promised?: Promised;
}

/** A promised value: JSON, where `ELLIPSIS` in an object or array stands for more, and a string holding an ellipsis for any value. */
export type Promised = null | boolean | number | string | typeof ANY | Promised[] | { [key: string]: Promised } | typeof ELLIPSIS;

export const ELLIPSIS = Symbol('...');
export const ANY = Symbol('any value');
const BACKSLASH = '\\';

export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```sh') continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]?.trim() !== '```'; i++) body.push(lines[i] ?? '');
    const marker = /^<!--\s*not run by [^:]+:\s*(.*?)\s*-->$/.exec(lines[start - 1]?.trim() ?? '');
    blocks.push({ line: start + 1, ...(marker ? { notRun: marker[1] } : {}), commands: commandsOf(body, start + 2) });
  }
  return blocks;
}

function commandsOf(lines: readonly string[], firstLine: number): ShellCommand[] {
  const commands: { line: number; text: string; trailing: string; before: string[]; after: string[] }[] = [];
  let comments: string[] = [];
  // Comment lines right under a command that show JSON (and their indented continuations) are its answer.
  let answering = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') {
      comments = [];
      answering = false;
      continue;
    }
    if (line.trimStart().startsWith('#')) {
      const text = line.trimStart().replace(/^# ?/, '');
      const after = commands.at(-1)?.after;
      if (answering && after && (after.length === 0 ? /^[{[]/.test(text) : /^\s/.test(text))) after.push(text);
      else {
        answering = false;
        comments.push(text);
      }
      continue;
    }
    answering = true;
    const start = i;
    let text = line;
    while (text.endsWith(BACKSLASH) && i + 1 < lines.length) text = `${text}\n${lines[++i]}`;
    const { command, trailing } = splitComment(text);
    commands.push({ line: firstLine + start, text: command, trailing, before: comments, after: [] });
    comments = [];
  }
  return commands.map(({ after, ...command }) => {
    const promised = after.length && /^[{[]/.test(after[0] ?? '') ? parsePromised(after.join('\n')) : undefined;
    return { ...command, ...(promised === undefined ? {} : { promised }) };
  });
}

/** `cmd   # comment` -> command and comment; a `#` inside quotes is not a comment. */
function splitComment(text: string): { command: string; trailing: string } {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      return { command: text.slice(0, i).trimEnd(), trailing: text.slice(i + 1).trim() };
    }
  }
  return { command: text, trailing: '' };
}

/** The first JSON-like value of `text`; what follows it is ignored. */
export function parsePromised(text: string): Promised {
  let at = 0;
  const space = () => {
    while (at < text.length && /\s/.test(text[at] ?? '')) at++;
  };
  const ellipsis = () => {
    space();
    const width = text.startsWith('...', at) ? 3 : text.startsWith('…', at) ? 1 : 0;
    at += width;
    return width > 0;
  };
  const value = (): Promised => {
    space();
    const ch = text[at];
    if (ch === '{') {
      at++;
      const out: Record<string, Promised> = {};
      let more = false;
      for (;;) {
        space();
        if (text[at] === '}') break;
        if (ellipsis()) more = true;
        else {
          const key = value();
          if (typeof key !== 'string') throw new Error(`expected a key at ${at}: ${text.slice(at, at + 20)}`);
          space();
          if (text[at++] !== ':') throw new Error(`expected : at ${at}`);
          out[key] = value();
        }
        space();
        if (text[at] === ',') at++;
      }
      at++;
      if (more) Object.defineProperty(out, '...', { value: ELLIPSIS, enumerable: false });
      return out;
    }
    if (ch === '[') {
      at++;
      const out: Promised[] = [];
      for (;;) {
        space();
        if (text[at] === ']') break;
        out.push(ellipsis() ? ELLIPSIS : value());
        space();
        if (text[at] === ',') at++;
      }
      at++;
      return out;
    }
    if (ch === '"') {
      let end = at + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const raw = JSON.parse(text.slice(at, end + 1)) as string;
      at = end + 1;
      return raw.includes('…') || raw.includes('...') ? ANY : raw;
    }
    const literal = /^(-?\d+(\.\d+)?|true|false|null)/.exec(text.slice(at));
    if (!literal) throw new Error(`cannot read the promised JSON at "${text.slice(at, at + 30)}"`);
    at += literal[0].length;
    return JSON.parse(literal[0]) as Promised;
  };
  return value();
}

/** Where `actual` breaks the promise, or undefined when it keeps it. */
export function brokenPromise(promised: Promised, actual: unknown, path = ''): string | undefined {
  if (promised === ANY || promised === ELLIPSIS) return undefined;
  if (Array.isArray(promised)) {
    if (!Array.isArray(actual)) return `${path || '/'}: expected an array, got ${JSON.stringify(actual)}`;
    const open = promised.includes(ELLIPSIS);
    const items = promised.filter((p) => p !== ELLIPSIS);
    if (!open && items.length !== actual.length) return `${path || '/'}: expected ${items.length} items, got ${actual.length}`;
    for (const [i, item] of items.entries()) {
      const broken = brokenPromise(item, actual[i], `${path}/${i}`);
      if (broken) return broken;
    }
    return undefined;
  }
  if (typeof promised === 'object' && promised !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual))
      return `${path || '/'}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, value] of Object.entries(promised)) {
      if (!(key in actual)) return `${path}/${key}: missing`;
      const broken = brokenPromise(value, (actual as Record<string, unknown>)[key], `${path}/${key}`);
      if (broken) return broken;
    }
    return undefined;
  }
  return promised === actual ? undefined : `${path || '/'}: expected ${JSON.stringify(promised)}, got ${JSON.stringify(actual)}`;
}
