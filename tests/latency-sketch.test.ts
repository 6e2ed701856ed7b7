import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bucketOf,
  denseSketch,
  HISTOGRAM_BOUNDS,
  mergeSketch,
  newSketch,
  quantileMs,
  SKETCH_RELATIVE_ERROR,
  sparseSketch,
  upperBoundMs,
} from '../engine/observe/latency-sketch.ts';

const add = (sketch: Uint32Array, ms: number) => {
  const i = bucketOf(ms);
  sketch[i] = (sketch[i] ?? 0) + 1;
};

/** A deterministic spread of durations from 20 us to 30 s (log-uniform), as a server sees. */
function durations(n: number, seed = 7): number[] {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  return Array.from({ length: n }, () => 0.02 * 1.5e6 ** next());
}

const exact = (sorted: number[], q: number) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] as number;

describe('latency sketch', () => {
  it('p50, p95, p99 are within the stated relative error of the true values', () => {
    const values = durations(20_000);
    const sketch = newSketch();
    for (const ms of values) add(sketch, ms);
    const sorted = [...values].sort((a, b) => a - b);
    assert.ok(SKETCH_RELATIVE_ERROR < 0.045, `${SKETCH_RELATIVE_ERROR}`);
    for (const q of [0.5, 0.9, 0.95, 0.99, 0.999]) {
      const estimate = quantileMs(sketch, q) as number;
      const truth = exact(sorted, q);
      assert.ok(Math.abs(estimate - truth) / truth <= SKETCH_RELATIVE_ERROR, `q=${q}: ${estimate} vs ${truth}`);
    }
  });

  it('a value falls in the bucket whose bounds hold it, bounds included', () => {
    for (const ms of durations(2000, 3)) {
      const i = bucketOf(ms);
      assert.ok(ms <= upperBoundMs(i) && (i === 0 || ms > upperBoundMs(i - 1)), `${ms} in ${i}`);
    }
    for (const { seconds, bucket } of HISTOGRAM_BOUNDS) assert.equal(bucketOf(seconds * 1000), bucket, `${seconds} s`);
    assert.equal(bucketOf(0), 0);
    assert.equal(upperBoundMs(bucketOf(1e9)), Number.POSITIVE_INFINITY);
  });

  it('sketches merge by adding counts, and survive their stored form', () => {
    const a = newSketch();
    const b = newSketch();
    const all = newSketch();
    durations(500, 1).forEach((ms) => {
      add(a, ms);
      add(all, ms);
    });
    durations(500, 2).forEach((ms) => {
      add(b, ms);
      add(all, ms);
    });
    mergeSketch(a, denseSketch(JSON.parse(JSON.stringify(sparseSketch(b)))));
    assert.deepEqual([...a], [...all]);
    assert.equal(quantileMs(newSketch(), 0.5), undefined);
  });
});
