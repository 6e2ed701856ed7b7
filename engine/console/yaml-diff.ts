import { createTwoFilesPatch } from 'diff';

/** A unified diff of a manifest's text before and after, as `git diff` shows it; empty when they are the same. */
export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return '';
  const patch = createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context: 3 });
  // jsdiff starts with a separator line (and an `Index:` line before it in some versions) that `git apply` does not need.
  return patch.replace(/^(Index: .*\n)?=+\n/, '');
}
