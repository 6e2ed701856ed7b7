import { PLACEHOLDER } from './test-file.ts';

/**
 * `value` with each `${name}` replaced by what was captured. A string that is one
 * placeholder alone takes the captured value as it is (a number stays a number); inside
 * a longer string it is written as text. The loader has checked every name was captured.
 */
export function interpolate(value: unknown, captured: ReadonlyMap<string, unknown>): unknown {
  if (typeof value === 'string') {
    const alone = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value);
    if (alone) return captured.get(alone[1] as string);
    return value.replace(PLACEHOLDER, (_, name: string) => {
      const found = captured.get(name);
      return typeof found === 'string' ? found : JSON.stringify(found);
    });
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, captured));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, captured)]));
  }
  return value;
}

/** Where an answer's body first differs from what a step expects. */
export interface Mismatch {
  /** JSON Pointer into the body. */
  readonly pointer: string;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly why: string;
}

/**
 * Whether `actual` holds `expected`: an object needs each key given (others may be
 * there), an array the same length with each item holding the expected one, anything
 * else equal. The first difference, in document order, or undefined.
 */
export function firstMismatch(expected: unknown, actual: unknown, pointer = ''): Mismatch | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return { pointer, expected, actual, why: `expected an array, got ${kind(actual)}` };
    if (actual.length !== expected.length) {
      return { pointer, expected, actual, why: `expected ${expected.length} item(s), got ${actual.length}` };
    }
    for (const [i, item] of expected.entries()) {
      const found = firstMismatch(item, actual[i], `${pointer}/${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return { pointer, expected, actual, why: `expected an object, got ${kind(actual)}` };
    }
    for (const [key, item] of Object.entries(expected)) {
      const child = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!Object.hasOwn(actual, key)) return { pointer: child, expected: item, actual: undefined, why: 'missing' };
      const found = firstMismatch(item, (actual as Record<string, unknown>)[key], child);
      if (found) return found;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : { pointer, expected, actual, why: 'not equal' };
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** The value at a JSON Pointer (`/data/id`), or undefined. */
export function atPointer(value: unknown, pointer: string): unknown {
  if (pointer === '') return value;
  let current = value;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
