/**
 * Values made from JSON Schemas for `council test --fuzz`: valid ones (edges included:
 * empty strings where allowed, bounds, optional properties left out) and ones that break
 * one rule the schema states for certain. Pure and seeded: the same seed makes the same
 * values, so a failure can be run again.
 */

import { followLocalRef } from '../schema/fields.ts';
import type { JsonSchema } from '../schema/json-schema.ts';

type Schema = Record<string, unknown>;

/** A small, fast, seeded generator (mulberry32): `next()` in [0, 1). */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Follows `$ref: '#/…'` inside `root` (the OpenAPI document); `{}` where it leads nowhere. */
export function resolved(schema: unknown, root: unknown): Schema {
  return (followLocalRef(schema, root as JsonSchema) ?? {}) as Schema;
}

function typesOf(schema: Schema): string[] {
  const type = schema.type;
  if (Array.isArray(type)) return type as string[];
  if (typeof type === 'string') return [type];
  if (schema.properties) return ['object'];
  if (schema.items) return ['array'];
  return ['string'];
}

/** A value `schema` accepts (null only when nothing else is allowed). */
export function validValue(schema: unknown, root: unknown, random: Random, depth = 0): unknown {
  const s = resolved(schema, root);
  if (Array.isArray(s.enum) && s.enum.length) return random.pick(s.enum);
  if ('const' in s) return s.const;
  const branches = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (branches?.length) return validValue(random.pick(branches), root, random, depth + 1);
  const types = typesOf(s).filter((t) => t !== 'null');
  const type = types.length ? random.pick(types) : 'null';
  switch (type) {
    case 'string':
      return validString(s, random);
    case 'integer':
    case 'number': {
      const min = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : -1000;
      const max = typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - 1 : 1000;
      const edge = random.chance(0.3) ? random.pick([min, max]) : random.int(Math.ceil(min), Math.floor(max));
      return type === 'integer' ? Math.round(edge) : random.chance(0.5) ? edge : edge + (max > edge ? 0.5 : 0);
    }
    case 'boolean':
      return random.chance(0.5);
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      const max = Math.min(typeof s.maxItems === 'number' ? s.maxItems : min + 3, min + 3);
      const length = depth > 3 ? min : random.int(min, max);
      return Array.from({ length }, () => validValue(s.items ?? {}, root, random, depth + 1));
    }
    case 'object':
      return validObject(s, root, random, depth);
    default:
      return null;
  }
}

function validString(s: Schema, random: Random): string {
  const examples = s.examples as unknown[] | undefined;
  if (examples?.length && (s.pattern || random.chance(0.3))) return String(random.pick(examples));
  switch (s.format) {
    case 'uuid':
      return randomUuid(random);
    case 'email':
      return `user${random.int(1, 99999)}@example.com`;
    case 'date-time':
      return new Date(Date.UTC(2020 + random.int(0, 6), random.int(0, 11), random.int(1, 28), random.int(0, 23))).toISOString();
    case 'date':
      return `202${random.int(0, 6)}-0${random.int(1, 9)}-1${random.int(0, 9)}`;
    case 'uri':
    case 'url':
      return `https://example.com/${random.int(1, 9999)}`;
  }
  if (typeof s.pattern === 'string') return '';
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  const max = typeof s.maxLength === 'number' ? s.maxLength : min + 24;
  // The empty string and the longest allowed are where handlers break most.
  const length =
    min === 0 && random.chance(0.25) ? 0 : random.chance(0.2) ? Math.min(max, min + 200) : random.int(min, Math.min(max, min + 16));
  let text = '';
  for (let i = 0; i < length; i++) text += random.pick(ALPHABET);
  return text;
}

/** Letters, other scripts, an emoji (two UTF-16 units), and the characters quoting and markup trip on. */
const ALPHABET = [...'abcdefghijklmnopqrstuvwxyz ÄéΩ漢字🙂-_\'"<>&%\\'];

function validObject(s: Schema, root: unknown, random: Random, depth: number): Record<string, unknown> {
  const properties = (s.properties ?? {}) as Record<string, unknown>;
  const required = new Set((s.required ?? []) as string[]);
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    const p = resolved(property, root);
    if (p.readOnly === true) continue;
    if (required.has(name) || random.chance(0.6)) out[name] = validValue(p, root, random, depth + 1);
  }
  return out;
}

export function randomUuid(random: Random): string {
  const hex = () => random.int(0, 15).toString(16);
  const block = (n: number) => Array.from({ length: n }, hex).join('');
  return `${block(8)}-${block(4)}-7${block(3)}-${random.pick(['8', '9', 'a', 'b'])}${block(3)}-${block(12)}`;
}

/** A body that breaks one rule of `schema` for certain, and which rule (for the report). */
export interface InvalidBody {
  readonly body: unknown;
  readonly why: string;
}

/**
 * Bodies `schema` (an object's) refuses for certain, each breaking one rule: a required
 * property left out, a property of the wrong type, a string past `maxLength`, a value
 * outside `enum`, a number past a bound, and not an object at all.
 */
export function invalidBodies(schema: unknown, root: unknown, random: Random): InvalidBody[] {
  const s = resolved(schema, root);
  const base = validObject(s, root, random, 0);
  const properties = (s.properties ?? {}) as Record<string, unknown>;
  const bodies: InvalidBody[] = [{ body: random.pick([[], 'text', 42, null]), why: 'the body is not an object' }];
  for (const name of (s.required ?? []) as string[]) {
    const { [name]: _, ...rest } = { ...validObject(s, root, random, 0) };
    bodies.push({ body: rest, why: `required "${name}" left out` });
  }
  for (const [name, property] of Object.entries(properties)) {
    const p = resolved(property, root);
    if (p.readOnly === true) continue;
    const types = typesOf(p);
    if (types.includes('null')) continue;
    const wrong = types.includes('string')
      ? random.pick([12345, true, { nested: 1 }])
      : types.includes('array')
        ? 'not an array'
        : 'not a number';
    if (!p.enum) bodies.push({ body: { ...base, [name]: wrong }, why: `"${name}" of the wrong type` });
    if (Array.isArray(p.enum) && p.enum.every((v) => typeof v === 'string')) {
      bodies.push({ body: { ...base, [name]: 'surely-not-an-allowed-value' }, why: `"${name}" outside its enum` });
    }
    if (typeof p.maxLength === 'number' && types.includes('string') && !p.format) {
      bodies.push({ body: { ...base, [name]: 'x'.repeat(p.maxLength + 1) }, why: `"${name}" longer than maxLength ${p.maxLength}` });
    }
    if (typeof p.maximum === 'number') bodies.push({ body: { ...base, [name]: p.maximum + 1 }, why: `"${name}" over its maximum` });
    if (typeof p.minimum === 'number') bodies.push({ body: { ...base, [name]: p.minimum - 1 }, why: `"${name}" under its minimum` });
  }
  return bodies;
}
