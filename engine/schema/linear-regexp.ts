import type { RegExpEngine } from 'ajv/dist/types/index.js';
import { RE2JS } from 're2js';

/**
 * JSON Schema `pattern`s of resource schemas run on RE2 (re2js, pure JavaScript: no
 * native build), whose matching time is linear in the input. No pattern a manifest
 * declares, `(a+)+` included, can then be made to block a request with a crafted value
 * (ReDoS), which no heuristic over backtracking patterns can promise. The price is
 * RE2's syntax: no lookaround and no backreferences.
 */
export const linearRegExp: RegExpEngine = Object.assign((pattern: string) => RE2JS.compile(RE2JS.translateRegExp(pattern)), {
  // Only read when ajv writes standalone code, which the engine never does.
  code: 're2js',
});

/** Why `pattern` cannot run on {@link linearRegExp} (RE2's own words), or undefined when it can. */
export function linearRegExpProblem(pattern: string): string | undefined {
  try {
    linearRegExp(pattern, 'u');
    return undefined;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).replace(/^error parsing regexp: /, '');
  }
}
