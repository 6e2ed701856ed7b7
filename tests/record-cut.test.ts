import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredRecord } from '../adapters/types.ts';
import type { AutomationPlan } from '../engine/compile/plan.ts';
import { pageBody } from '../engine/http/page-body.ts';
import { type CutEntry, pieceLinks, recordBody } from '../engine/http/record-body.ts';
import { fitValue, stringPrefix } from '../engine/http/record-cut.ts';
import { pieceBody } from '../engine/http/record-piece.ts';

/**
 * Cutting one record to the response budget, without a server: every body stays within
 * the budget, every cut is named, and reading each cut's pieces (each within the budget
 * too, each cut further where one item alone is too long) gives back the record exactly,
 * on random records of strings (escapes, emoji), long arrays, wide and deep objects.
 */
const plan = { basePath: '/letters', endpoints: [{ operation: 'get' }] } as unknown as AutomationPlan;
const ID = '0193e3c1-5f2a-7b4c-8d6e-9f0a1b2c3d4e';
const VERSION = '2026-01-15T09:30:00.000Z';

/** Seeded, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'b', ' ', 'é', '😀', '"', '\\', '\n', '\u0001', '中', '/', '~'];

function text(next: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return out;
}

/** A record with a few large values among small ones, their sizes drawn at random. */
function randomRecord(next: () => number): StoredRecord {
  const size = () => Math.floor(next() ** 3 * 60_000);
  const value = (depth: number): unknown => {
    const pick = next();
    if (depth > 2 || pick < 0.45) return text(next, size());
    if (pick < 0.6) return Math.floor(next() * 1000);
    if (pick < 0.8)
      return Array.from({ length: Math.floor(next() ** 2 * 1500) }, () => (next() < 0.995 ? text(next, 8) : value(depth + 1)));
    const object: Record<string, unknown> = {};
    for (let i = Math.floor(next() ** 2 * 800); i > 0; i--) object[`k${i}/${text(next, 2)}`] = next() < 0.995 ? i : value(depth + 1);
    return object;
  };
  const record: Record<string, unknown> = { id: ID, createdAt: VERSION, updatedAt: VERSION };
  for (let i = Math.floor(next() * 8) + 1; i > 0; i--) record[`field${i}`] = value(0);
  // As large as a record gets under the default 1 MiB body limit, not more.
  return JSON.stringify(record).length > 600_000 ? randomRecord(next) : (record as StoredRecord);
}

/** GET of a piece link, answered by the same functions the get handler runs. */
function get(
  record: StoredRecord,
  link: string,
  budget: number,
): { piece: { value: unknown }; meta: { next: string | null; cut?: CutEntry[] } } {
  const url = new URL(link, 'http://council.test');
  assert.equal(url.pathname, `/letters/${ID}`);
  const query = {
    pointer: url.searchParams.get('piece') ?? '',
    offset: Number(url.searchParams.get('offset')),
    version: url.searchParams.get('version') ?? '',
  };
  const body = pieceBody(record, query, budget, pieceLinks(plan, record));
  assert.ok(
    body.length <= budget,
    `a piece of ${body.length} characters, over ${budget}: ${JSON.stringify(query)} ${body.slice(0, 300)} ... ${body.slice(-300)}`,
  );
  return JSON.parse(body);
}

/** The whole value at a cut's pointer, read piece by piece from its first piece. */
function readWhole(record: StoredRecord, pointer: string, budget: number, counter: { pieces: number }): unknown {
  let link: string | null = pieceLinks(plan, record)(pointer, 0);
  let whole: unknown;
  const inner: CutEntry[] = [];
  while (link !== null) {
    assert.ok(counter.pieces < 10_000, 'reading ends');
    const piece = get(record, link, budget);
    counter.pieces++;
    const value = piece.piece.value;
    if (typeof value === 'string') whole = `${(whole as string | undefined) ?? ''}${value}`;
    else if (Array.isArray(value)) whole = [...((whole as unknown[] | undefined) ?? []), ...value];
    else whole = { ...((whole as object | undefined) ?? {}), ...(value as object) };
    inner.push(...(piece.meta.cut ?? []));
    link = piece.meta.next;
  }
  for (const cut of inner) setAt(whole, cut.pointer.slice(pointer.length), readWhole(record, cut.pointer, budget, counter));
  return whole;
}

function setAt(root: unknown, pointer: string, value: unknown): void {
  const keys = pointer
    .slice(1)
    .split('/')
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  let at = root as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[keys.at(-1) as string] = value;
}

describe('a record cut to the response budget', () => {
  it('random records: every body and piece within the budget, and the pieces give the record back exactly', (t) => {
    const next = random(14);
    let cutRecords = 0;
    let largest = 0;
    let pieces = 0;
    for (let round = 0; round < 30; round++) {
      const record = randomRecord(next);
      const budget = [2000, 5000, 50_000][round % 3] as number;
      const body = recordBody(record, budget, pieceLinks(plan, record));
      assert.ok(body.length <= budget, `round ${round}: ${body.length} characters, over ${budget}`);
      const parsed = JSON.parse(body) as { data: Record<string, unknown>; meta?: { cut: CutEntry[]; detail: string } };
      const size = JSON.stringify(record).length;
      if (size <= budget - 20) {
        assert.deepEqual(parsed, { data: record }, 'a record that fits comes whole, with no meta');
        continue;
      }
      cutRecords++;
      largest = Math.max(largest, size);
      assert.ok(parsed.meta && parsed.meta.cut.length > 0, `round ${round}: cut, and says so`);
      assert.ok(parsed.meta.cut.length <= budget / 100, `round ${round}: ${parsed.meta.cut.length} cuts named`);
      const counter = { pieces: 0 };
      let rebuilt: unknown = structuredClone(parsed.data);
      for (const cut of parsed.meta.cut) {
        assert.ok(cut.returned < cut.length, `${cut.pointer}: ${cut.returned} of ${cut.length}`);
        const next = new URL(cut.next ?? '', 'http://council.test');
        assert.deepEqual(
          [next.pathname, next.searchParams.get('piece'), next.searchParams.get('offset'), next.searchParams.get('version')],
          [`/letters/${ID}`, cut.pointer, String(cut.returned), VERSION],
        );
        // The record itself is cut when its fields are too many to share the room.
        if (cut.pointer === '') rebuilt = readWhole(record, '', budget, counter);
        else setAt(rebuilt, cut.pointer, readWhole(record, cut.pointer, budget, counter));
      }
      assert.deepEqual(rebuilt, record, `round ${round}: put back together`);
      pieces += counter.pieces;
    }
    assert.ok(cutRecords >= 15, `${cutRecords} of 30 records needed cutting`);
    t.diagnostic(`${cutRecords} records cut (largest ${largest} characters of JSON), read back exactly in ${pieces} pieces`);
  });

  it('a record of many small fields keeps its first fields whole, and names the record itself as cut', () => {
    const record = { id: ID, createdAt: VERSION, updatedAt: VERSION } as Record<string, unknown>;
    for (let i = 0; i < 3000; i++) record[`f${i}`] = `value ${i} ${'x'.repeat(20)}`;
    const body = recordBody(record, 5000, pieceLinks(plan, record as StoredRecord));
    const parsed = JSON.parse(body);
    assert.ok(body.length <= 5000);
    assert.deepEqual(Object.keys(parsed.data).slice(0, 4), ['id', 'createdAt', 'updatedAt', 'f0']);
    assert.deepEqual(
      parsed.meta.cut.map((c: CutEntry) => [c.pointer, c.length, c.returned]),
      [['', 3003, Object.keys(parsed.data).length]],
    );
    assert.deepEqual(readWhole(record as StoredRecord, '', 5000, { pieces: 0 }), record);
  });

  it('a page never passes the budget, even when its meta is longer than foreseen', () => {
    const records = Array.from({ length: 20 }, (_, i) => ({ id: `${i}`, text: 'x'.repeat(200) }));
    const cursor = 'c'.repeat(2500);
    const { body, kept } = pageBody(
      records,
      3000,
      (n) => ({ next: n < records.length ? cursor : null, limit: 20 }),
      () => null,
    );
    assert.ok(body.length <= 3000, `${body.length} characters`);
    assert.equal(JSON.parse(body).data.length, kept);
    assert.ok(kept >= 1 && kept < 5, `${kept} records beside a 2,500-character cursor`);
  });

  it('strings are cut by their escaped length, never inside a surrogate pair', () => {
    assert.equal(stringPrefix('ab"c', 0, 6), 3, '"ab\\"" is 6 characters');
    assert.equal(stringPrefix('a😀b', 0, 4), 1, 'the emoji needs 2');
    assert.equal(stringPrefix('a😀b', 0, 5), 3);
    assert.equal(stringPrefix('\u0001x', 0, 7), 0, '\\u0001 is 6');
    assert.equal(stringPrefix('😀', 0, 2, true), 2, 'a piece moves on by a whole character even when none fits');
    const fitted = fitValue({ a: 'x'.repeat(5000), b: 'y'.repeat(100), c: 7 }, 1000, '', () => 50);
    assert.deepEqual(
      fitted.cuts.map((c) => c.pointer),
      ['/a'],
      'only the long one gives way',
    );
    assert.ok(fitted.size <= 1000);
    assert.equal((fitted.value as { b: string }).b, 'y'.repeat(100));
  });

  it('a piece of a record that changed since its link was made is a 412; a bad pointer or offset a 400', () => {
    const record = { id: ID, createdAt: VERSION, updatedAt: VERSION, body: 'x'.repeat(10_000), n: 5 } as StoredRecord;
    const links = pieceLinks(plan, record);
    assert.throws(
      () =>
        pieceBody({ ...record, updatedAt: '2026-01-16T00:00:00.000Z' }, { pointer: '/body', offset: 10, version: VERSION }, 3000, links),
      (e: { code: string; status: number }) => e.code === 'precondition-failed' && e.status === 412,
    );
    for (const [pointer, offset, message] of [
      ['/nope', 0, /no value at \/nope/],
      ['/n', 0, /is a number, which is never cut/],
      ['/body', 10_001, /past the end: the value at \/body has length 10000/],
    ] as const) {
      assert.throws(
        () => pieceBody(record, { pointer, offset }, 3000, links),
        (e: { code: string; message: string }) => e.code === 'invalid-query' && message.test(e.message),
      );
    }
    const last = JSON.parse(pieceBody(record, { pointer: '/body', offset: 10_000 }, 3000, links));
    assert.deepEqual(last.data, { id: ID });
    assert.deepEqual(last.piece, { pointer: '/body', offset: 10_000, length: 10_000, returned: 0, value: '' });
    assert.equal(last.meta.next, null);
  });

  it('without a get endpoint, cuts are named with no link, and the detail says why', () => {
    const listOnly = { basePath: '/letters', endpoints: [{ operation: 'list' }] } as unknown as AutomationPlan;
    const record = { id: ID, createdAt: VERSION, updatedAt: VERSION, body: 'x'.repeat(10_000) } as StoredRecord;
    const parsed = JSON.parse(recordBody(record, 3000, pieceLinks(listOnly, record)));
    assert.equal(parsed.meta.cut[0].next, undefined);
    assert.match(parsed.meta.detail, /no get endpoint/);
  });
});
