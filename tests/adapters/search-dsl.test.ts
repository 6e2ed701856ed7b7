import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesFilters } from '../../adapters/filter-match.ts';
import { compareRecords, sortValue } from '../../adapters/keyset.ts';
import {
  fieldKinds,
  indexBody,
  indexMapping,
  indexName,
  MAX_RESULT_WINDOW,
  planIndex,
  refusalOf,
  type SearchDialect,
  storagePlan,
} from '../../adapters/search-dsl/mapping.ts';
import {
  countBody,
  escapeWildcard,
  filterCondition,
  keysetCondition,
  listBody,
  type Query,
  searchBody,
  sortClauses,
} from '../../adapters/search-dsl/query.ts';
import {
  type ListAfter,
  type ListFilter,
  type SortOrder,
  StorageError,
  type StorageSpec,
  type StoredRecord,
} from '../../adapters/types.ts';
import { contractSpec, variedRecords } from './contract.ts';

/**
 * The translation OpenSearch and Elasticsearch share (adapters/search-dsl/): query DSL,
 * mapping and plan, checked as data in every run, no store needed. What each store's
 * dialect or client changes is tested in opensearch.test.ts and elasticsearch.test.ts.
 */

/** A store of this DSL as the translation sees one: a name for messages, its metadata fields. */
const dialect: SearchDialect = { store: 'AnySearch', metadataFields: new Set(['_id', '_source']) };

const spec: StorageSpec = { ...contractSpec([{ name: 'body', kind: 'string' }], 'tickets_2024'), searchable: ['name', 'body'] };
const kinds = fieldKinds(spec);

describe('search DSL: query translation', () => {
  const condition = (filter: ListFilter) => filterCondition(kinds, filter);
  const none = { match_none: {} };

  it('turns every operator into a typed clause', () => {
    assert.deepEqual(condition({ field: 'name', op: 'eq', value: 'a' }), { term: { name: 'a' } });
    assert.deepEqual(condition({ field: 'age', op: 'ne', value: 3 }), { bool: { must_not: [{ term: { age: 3 } }] } });
    assert.deepEqual(condition({ field: 'score', op: 'gt', value: 1.5 }), { range: { score: { gt: 1.5 } } });
    assert.deepEqual(condition({ field: 'name', op: 'lte', value: 'm' }), { range: { name: { lte: 'm' } } });
    assert.deepEqual(condition({ field: 'age', op: 'in', value: [1, 'two', 3] }), { terms: { age: [1, 3] } });
    assert.deepEqual(condition({ field: 'name', op: 'contains', value: 'a*b?c\\' }), { wildcard: { name: { value: '*a\\*b\\?c\\\\*' } } });
    assert.deepEqual(condition({ field: 'active', op: 'exists', value: true }), { exists: { field: 'active' } });
    assert.deepEqual(condition({ field: 'active', op: 'exists', value: false }), { bool: { must_not: [{ exists: { field: 'active' } }] } });
    assert.deepEqual(condition({ field: 'active', op: 'gt', value: false }), { terms: { active: [true] } });
    assert.deepEqual(condition({ field: 'active', op: 'lt', value: false }), none);
  });

  it('a value of another type than the field matches nothing, and ne everything', () => {
    assert.deepEqual(condition({ field: 'age', op: 'eq', value: '3' }), none);
    assert.deepEqual(condition({ field: 'age', op: 'ne', value: '3' }), { match_all: {} });
    assert.deepEqual(condition({ field: 'name', op: 'gt', value: 3 }), none);
    assert.deepEqual(condition({ field: 'age', op: 'contains', value: '3' }), none);
    assert.deepEqual(condition({ field: 'name', op: 'in', value: [1, true] }), none);
  });

  it('escapes wildcard syntax so contains is a plain substring test', () => {
    assert.equal(escapeWildcard('50% *off* a?b \\o/'), '50% \\*off\\* a\\?b \\\\o/');
  });

  it('refuses json and undeclared fields', () => {
    const refused = (field: string) => (error: unknown) =>
      error instanceof StorageError && error.kind === 'rejected' && error.field === field;
    assert.throws(() => condition({ field: 'tags', op: 'exists', value: true }), refused('tags'));
    assert.throws(() => sortClauses(kinds, { field: 'nickname', direction: 'asc' }), refused('nickname'));
  });

  it('keyset conditions: after a value, after a missing value, both directions', () => {
    const keyset = (value: ListAfter['value'], direction: SortOrder['direction']) =>
      keysetCondition(kinds, { field: 'age', direction }, { value, id: 'k' });
    const missing = { bool: { must_not: [{ exists: { field: 'age' } }] } };
    const tie = (op: string) => ({ bool: { filter: [{ term: { age: 5 } }, { range: { id: { [op]: 'k' } } }] } });
    assert.deepEqual(keyset(5, 'asc'), { bool: { should: [{ range: { age: { gt: 5 } } }, tie('gt'), missing], minimum_should_match: 1 } });
    assert.deepEqual(keyset(5, 'desc'), { bool: { should: [{ range: { age: { lt: 5 } } }, tie('lt')], minimum_should_match: 1 } });
    assert.deepEqual(keyset(null, 'asc'), { bool: { filter: [missing, { range: { id: { gt: 'k' } } }] } });
    assert.deepEqual(keyset(null, 'desc'), {
      bool: {
        should: [{ bool: { filter: [missing, { range: { id: { lt: 'k' } } }] } }, { exists: { field: 'age' } }],
        minimum_should_match: 1,
      },
    });
    assert.deepEqual(keysetCondition(kinds, { field: 'id', direction: 'desc' }, { value: 'k', id: 'k' }), { range: { id: { lt: 'k' } } });
  });

  it('sorts on the field, missing last ascending and first descending, then on the id keyword', () => {
    assert.deepEqual(sortClauses(kinds, { field: 'score', direction: 'desc' }), [
      { score: { order: 'desc', missing: '_first' } },
      { id: { order: 'desc' } },
    ]);
    assert.deepEqual(sortClauses(kinds, { field: 'id', direction: 'asc' }), [{ id: { order: 'asc' } }]);
  });

  it('asks for one record more than the limit; the count ignores the cursor', () => {
    const query = {
      filters: [{ field: 'age', op: 'gte', value: 0 }] as ListFilter[],
      sort: { field: 'name', direction: 'asc' } as const,
      limit: 10,
    };
    const body = listBody(kinds, { ...query, after: { value: 'm', id: 'k' } });
    assert.equal(body.size, 11);
    assert.equal((body.query.bool as { filter: Query[] }).filter.length, 2);
    assert.deepEqual(countBody(kinds, query.filters), { query: { bool: { filter: [{ range: { age: { gte: 0 } } }] } } });
  });

  it('means exactly what filter-match.ts and keyset.ts mean, read with the query DSL semantics', () => {
    const records = variedRecords(60);
    const cases: ListFilter[][] = [
      [],
      [{ field: 'name', op: 'ne', value: 'alpha' }],
      [{ field: 'age', op: 'gt', value: 0 }],
      [{ field: 'score', op: 'lte', value: 1.5 }],
      [{ field: 'name', op: 'contains', value: 'eta' }],
      [{ field: 'active', op: 'exists', value: false }],
      [{ field: 'active', op: 'gte', value: true }],
      [
        { field: 'name', op: 'in', value: ['alpha', '', '中文'] },
        { field: 'age', op: 'lt', value: 31 },
      ],
    ];
    for (const field of ['name', 'age', 'score', 'active', 'createdAt', 'id']) {
      for (const direction of ['asc', 'desc'] as const) {
        const sort = { field, direction };
        for (const filters of cases) {
          const expected = records.filter((r) => matchesFilters(r, filters)).sort(compareRecords(sort));
          assert.deepEqual(pageWithModel(records, filters, sort, 4), expected, `${field} ${direction} ${JSON.stringify(filters)}`);
        }
      }
    }
  });

  it('searches every word across the text subfields, by occurrences then id, from the offset', () => {
    assert.deepEqual(searchBody(['name', 'body'], ['refund', 'policy'], 20, 10), {
      query: {
        multi_match: { query: 'refund policy', type: 'cross_fields', operator: 'and', tie_breaker: 1, fields: ['name.text', 'body.text'] },
      },
      sort: [{ _score: { order: 'desc' } }, { id: { order: 'asc' } }],
      from: 20,
      size: 11,
      track_total_hits: false,
    });
    assert.equal(searchBody(['name'], ['a'], MAX_RESULT_WINDOW - 10, 10).size, 10, 'the last page inside the window');
    assert.throws(
      () => searchBody(['name'], ['a'], MAX_RESULT_WINDOW, 10),
      (error) => error instanceof StorageError && error.kind === 'rejected' && /first 10000 matches/.test(error.message),
    );
  });
});

describe('search DSL: index mapping and plan', () => {
  const live = () => structuredClone(indexMapping(spec));

  it('names the index after the collection', () => {
    assert.equal(indexName('support_tickets', dialect), 'council-support-tickets');
    assert.throws(
      () => indexName('a/b', dialect),
      (error) => error instanceof StorageError && error.kind === 'rejected',
    );
  });

  it('maps strings as keywords (searchable ones with a text subfield), numbers, booleans, and json unindexed', () => {
    const { dynamic, properties } = indexMapping(spec);
    assert.equal(dynamic, false);
    const keyword = { type: 'keyword', ignore_above: 8191 };
    const text = { text: { type: 'text', analyzer: 'council_words' } };
    assert.deepEqual(properties, {
      name: { ...keyword, fields: text },
      age: { type: 'long' },
      score: { type: 'double' },
      active: { type: 'boolean' },
      tags: { type: 'object', enabled: false },
      profile: { type: 'object', enabled: false },
      body: { ...keyword, fields: text },
      id: keyword,
      createdAt: keyword,
      updatedAt: keyword,
    });
    const settings = indexBody(spec).settings as { index: Record<string, unknown> };
    assert.equal(settings.index.max_result_window, MAX_RESULT_WINDOW);
    assert.deepEqual(Object.keys(settings.index).sort(), ['analysis', 'max_result_window']);
  });

  it('creates a missing index; an index that matches needs nothing', () => {
    const created = planIndex(spec, undefined, dialect);
    assert.deepEqual(
      created.steps.map((s) => s.action),
      ['create'],
    );
    assert.match(storagePlan(created).steps[0]?.statement ?? '', /^PUT \/council-tickets-2024 \{"settings"/);
    assert.deepEqual(planIndex(spec, { ...live(), dynamic: 'false' }, dialect), { index: 'council-tickets-2024', steps: [], refused: [] });
  });

  it('adds a new field or text subfield, then rewrites the records in place so old values are indexed', () => {
    const before = live();
    delete before.properties.body;
    before.properties.name = { type: 'keyword', ignore_above: 8191 };
    const plan = planIndex(spec, before, dialect);
    assert.deepEqual(plan.refused, []);
    assert.deepEqual(
      plan.steps.map((s) => s.action),
      ['putMapping', 'reindexInPlace'],
    );
    const body = plan.steps[0]?.action === 'putMapping' ? plan.steps[0].body : {};
    assert.deepEqual(Object.keys(body.properties as object).sort(), ['body', 'name']);
    assert.deepEqual(
      storagePlan(plan).steps.map((s) => s.statement.split(' ').slice(0, 2).join(' ')),
      ['PUT /council-tickets-2024/_mapping', 'POST /council-tickets-2024/_update_by_query?conflicts=proceed&refresh=true'],
    );
  });

  it('refuses a field whose mapped type changed, naming it, also when retype is allowed', () => {
    const retyped = (name: string, kind: 'string' | 'json') => ({
      ...spec,
      fields: spec.fields.map((f) => (f.name === name ? { ...f, kind } : f)),
      migrations: { drop: [], retype: [name] },
    });
    for (const [name, kind] of [
      ['age', 'string'],
      ['tags', 'string'],
      ['name', 'json'],
    ] as const) {
      const plan = planIndex(retyped(name, kind), live(), dialect);
      assert.deepEqual(
        plan.refused.map((r) => r.field),
        [name],
      );
      assert.match(plan.refused[0]?.message ?? '', /cannot change a mapped field's type in place/);
    }
    const foreign = live();
    delete foreign.properties.id;
    assert.deepEqual(
      planIndex(spec, foreign, dialect).refused.map((r) => r.field),
      ['id'],
    );
    const dotted = { ...spec, fields: [...spec.fields, { name: 'a.b', kind: 'string' as const }] };
    assert.deepEqual(
      planIndex(dotted, live(), dialect).refused.map((r) => r.field),
      ['a.b'],
    );
  });

  it('reads a disabled object without a type, as GET _mapping may return it, as json', () => {
    const returned = live();
    returned.properties.tags = { enabled: false };
    assert.deepEqual(planIndex(spec, returned, dialect).refused, []);
  });

  it("refuses the dialect's metadata fields, naming its store; refusalOf makes one rejected error naming the first field", () => {
    const named = {
      ...spec,
      fields: [...spec.fields, { name: '_source', kind: 'string' as const }, { name: '_tier', kind: 'string' as const }],
    };
    const plan = planIndex(named, undefined, dialect);
    assert.deepEqual(
      plan.refused.map((r) => r.field),
      ['_source'],
      'only the fields the dialect lists',
    );
    assert.match(plan.refused[0]?.message ?? '', /"_source" is an AnySearch metadata field name/);
    assert.deepEqual(plan.steps, []);
    const error = refusalOf(plan);
    assert.ok(error instanceof StorageError);
    assert.equal(error.kind, 'rejected');
    assert.equal(error.field, '_source');
    assert.equal(refusalOf(planIndex(spec, undefined, dialect)), undefined);
    const retyped = { ...spec, fields: spec.fields.map((f) => (f.name === 'age' ? { ...f, kind: 'string' as const } : f)) };
    assert.match(planIndex(retyped, live(), dialect).refused[0]?.message ?? '', /; AnySearch cannot change a mapped field's type/);
  });
});

/** Pages through `records` the way the store would run listBody (see `matchesQuery`). */
function pageWithModel(records: readonly StoredRecord[], filters: ListFilter[], sort: SortOrder, limit: number): StoredRecord[] {
  const seen: StoredRecord[] = [];
  let after: ListAfter | undefined;
  for (let page = 0; page < 100; page++) {
    const body = listBody(kinds, { filters, sort, limit, ...(after && { after }) });
    const hits = records.filter((r) => matchesQuery(r, body.query)).sort(sortComparator(body.sort));
    const shown = hits.slice(0, limit);
    seen.push(...shown);
    if (hits.length <= limit) return seen;
    const last = shown.at(-1) as StoredRecord;
    after = { value: sortValue(last, sort.field), id: last.id };
  }
  throw new Error('paging did not end');
}

/** The query DSL clauses query.ts emits, as the stores document them: a model to check meaning, not a store. */
function matchesQuery(record: StoredRecord, query: Query): boolean {
  const [type, arg] = Object.entries(query)[0] as [string, Record<string, unknown>];
  if (type === 'match_all') return true;
  if (type === 'match_none') return false;
  if (type === 'exists') return sortValue(record, arg.field as string) !== null;
  if (type === 'bool') {
    const clauses = (name: string) => (arg[name] ?? []) as Query[];
    const should = clauses('should').filter((q) => matchesQuery(record, q)).length;
    return (
      clauses('filter').every((q) => matchesQuery(record, q)) &&
      !clauses('must_not').some((q) => matchesQuery(record, q)) &&
      (!arg.should || should >= (arg.minimum_should_match as number))
    );
  }
  const [field, operand] = Object.entries(arg)[0] as [string, unknown];
  const value = sortValue(record, field);
  switch (type) {
    case 'term':
      return value === operand;
    case 'terms':
      return (operand as unknown[]).includes(value);
    case 'range':
      return Object.entries(operand as object).every(([op, bound]) => {
        if (value === null || typeof value !== typeof bound) return false;
        return op === 'gt' ? value > bound : op === 'gte' ? value >= bound : op === 'lt' ? value < bound : value <= bound;
      });
    case 'wildcard':
      return typeof value === 'string' && wildcardRegExp((operand as { value: string }).value).test(value);
  }
  throw new Error(`the model does not know ${type}`);
}

/** Lucene wildcard syntax: `*` any run, `?` one character, `\` takes the next one literally. */
function wildcardRegExp(pattern: string): RegExp {
  const literal = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let source = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    source += c === '\\' ? literal(chars[++i] ?? '') : c === '*' ? '.*' : c === '?' ? '.' : literal(c);
  }
  return new RegExp(`^${source}$`, 'su');
}

function sortComparator(sort: readonly Query[]): (a: StoredRecord, b: StoredRecord) => number {
  return (a, b) => {
    for (const clause of sort) {
      const [[field, { order, missing }]] = Object.entries(clause) as [[string, { order: string; missing?: string }]];
      const [av, bv] = [sortValue(a, field), sortValue(b, field)];
      if (av === bv) continue;
      if (av === null || bv === null) return (av === null ? 1 : -1) * (missing === '_first' ? -1 : 1);
      return (av < bv ? -1 : 1) * (order === 'asc' ? 1 : -1);
    }
    return 0;
  };
}
