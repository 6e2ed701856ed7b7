import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ChangePolicy, reviewChanges } from '../engine/review/acceptance.ts';
import type { ApiChange } from '../engine/review/api-changes.ts';

/**
 * reviewChanges on its own: which breaking changes a manifest's version or acceptedChanges
 * let through, where each is placed, and which entries match nothing. council-diff.test.ts
 * covers the same through the command on a git repository.
 */
const change = (automation: string, kind: ApiChange['kind'], where: string): ApiChange => ({
  kind,
  automation,
  file: `automations/${automation}.yaml`,
  where,
  message: `${where} changes`,
});

const policy = (name: string, version: number, accepted: ChangePolicy['acceptedChanges'] = []): ChangePolicy => ({
  name,
  file: `automations/${name}.yaml`,
  version,
  versionAt: { line: 3, col: 1 },
  acceptedChanges: accepted,
});

describe('reviewChanges', () => {
  test('nothing declared: every breaking change blocks, at line 1; additive ones never do', () => {
    const review = reviewChanges(
      [change('widgets', 'breaking', 'DELETE /widgets/{id}'), change('widgets', 'additive', 'PATCH /widgets/{id}')],
      [policy('widgets', 1)],
      [policy('widgets', 1)],
    );
    assert.equal(review.blocking, 1);
    assert.deepEqual(
      review.changes.map((c) => [c.where, c.line, c.col, c.accepted]),
      [
        ['DELETE /widgets/{id}', 1, 1, undefined],
        ['PATCH /widgets/{id}', 1, 1, undefined],
      ],
    );
    assert.deepEqual(review.stale, []);
  });

  test('a version above the base accepts its own automation only; the same or a lower one accepts nothing', () => {
    const changes = [change('widgets', 'breaking', 'storage'), change('gadgets', 'breaking', 'storage')];
    const raised = reviewChanges(changes, [policy('widgets', 2), policy('gadgets', 1)], [policy('widgets', 3), policy('gadgets', 1)]);
    assert.deepEqual(raised.changes[0]?.accepted, { by: 'version', reason: 'version raised 2 -> 3' });
    assert.deepEqual([raised.changes[0]?.line, raised.changes[0]?.col], [3, 1]);
    assert.equal(raised.changes[1]?.accepted, undefined);
    assert.equal(raised.blocking, 1);
    const lowered = reviewChanges(changes.slice(0, 1), [policy('widgets', 2)], [policy('widgets', 1)]);
    assert.equal(lowered.blocking, 1);
  });

  test('an automation new at the work tree, or removed from it, has no version to compare: its breaking changes block', () => {
    const removed = reviewChanges([change('widgets', 'breaking', 'automation')], [policy('widgets', 1)], []);
    assert.equal(removed.blocking, 1);
    // Left out at the base (it had errors there): nothing to raise from.
    const unknownBase = reviewChanges([change('widgets', 'breaking', 'storage')], [], [policy('widgets', 5)]);
    assert.equal(unknownBase.blocking, 1);
  });

  test('an entry accepts every breaking change with its where (before a raised version), and one that matches none is stale, with a suggestion', () => {
    const entries = [
      { where: 'GET /widgets ?color', reason: 'no client filters by color', line: 20, col: 5 },
      { where: 'GET /widgets ?colour', reason: 'a typo', line: 22, col: 5 },
      { where: 'PATCH /widgets/{id}', reason: 'additive: nothing to accept', line: 24, col: 5 },
    ];
    const review = reviewChanges(
      [
        change('widgets', 'breaking', 'GET /widgets ?color'),
        change('widgets', 'breaking', 'GET /widgets ?size'),
        change('widgets', 'additive', 'PATCH /widgets/{id}'),
      ],
      [policy('widgets', 1)],
      [policy('widgets', 2, entries)],
    );
    assert.deepEqual(review.changes[0]?.accepted, { by: 'acceptedChanges', reason: 'no client filters by color' });
    assert.deepEqual([review.changes[0]?.line, review.changes[0]?.col], [20, 5]);
    assert.deepEqual(review.changes[1]?.accepted, { by: 'version', reason: 'version raised 1 -> 2' });
    assert.equal(review.changes[2]?.accepted, undefined, 'an additive change needs no acceptance');
    assert.equal(review.blocking, 0);
    assert.deepEqual(
      review.stale.map((s) => [s.where, s.line, s.col]),
      [
        ['GET /widgets ?colour', 22, 5],
        ['PATCH /widgets/{id}', 24, 5],
      ],
    );
    assert.match(review.stale[0]?.message ?? '', /matches no breaking change \(did you mean "GET \/widgets \?color"\?\)/);
  });
});
