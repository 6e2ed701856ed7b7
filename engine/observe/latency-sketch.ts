/**
 * Latency in fixed logarithmic buckets: eight per doubling, from about 1 us to about
 * 65 s. Fixed bounds make sketches mergeable by adding counts (across keys, minutes,
 * instances), and a quantile read back as the geometric middle of its bucket is within
 * {@link SKETCH_RELATIVE_ERROR} of the true value. Every eighth bound is a power of two
 * in milliseconds, so Prometheus histogram buckets are sums of these with nothing
 * interpolated.
 */

/** Buckets per doubling. */
const PER_OCTAVE = 8;
/** The first bucket's upper bound is 2^(LOWEST/8) ms; everything below falls in it. */
const LOWEST = -10 * PER_OCTAVE;
/** The last finite bound is 2^(HIGHEST/8) ms (65.5 s); slower answers fall in the overflow bucket. */
const HIGHEST = 16 * PER_OCTAVE;
export const SKETCH_BUCKETS = HIGHEST - LOWEST + 2;

/** Largest relative error of a quantile read from a sketch: half a bucket's width, 2^(1/16) - 1. */
export const SKETCH_RELATIVE_ERROR = 2 ** (1 / (2 * PER_OCTAVE)) - 1;

/** The bucket of a duration: the first whose upper bound is at or above it. */
export function bucketOf(ms: number): number {
  if (!(ms > 0)) return 0;
  const k = Math.ceil(Math.log2(ms) * PER_OCTAVE);
  if (k <= LOWEST) return 0;
  return k > HIGHEST ? SKETCH_BUCKETS - 1 : k - LOWEST;
}

/** Upper bound of bucket `i` in ms (Infinity for the overflow bucket). */
export function upperBoundMs(i: number): number {
  return i >= SKETCH_BUCKETS - 1 ? Number.POSITIVE_INFINITY : 2 ** ((i + LOWEST) / PER_OCTAVE);
}

/** The Prometheus bounds, in seconds, and the sketch bucket each ends at: every other doubling from 0.125 ms to 32.8 s. */
export const HISTOGRAM_BOUNDS: readonly { seconds: number; bucket: number }[] = Array.from({ length: 10 }, (_, j) => {
  const exponent = -3 + 2 * j;
  return { seconds: 2 ** exponent / 1000, bucket: exponent * PER_OCTAVE - LOWEST };
});

export type Sketch = Uint32Array;

export function newSketch(): Sketch {
  return new Uint32Array(SKETCH_BUCKETS);
}

/** Adds `from` into `into`. */
export function mergeSketch(into: Sketch, from: ArrayLike<number>): void {
  for (let i = 0; i < into.length; i++) into[i] = (into[i] as number) + (from[i] ?? 0);
}

/**
 * The q-quantile (0 < q <= 1) in ms: the geometric middle of the bucket holding the
 * observation of rank ceil(q * n); undefined for an empty sketch. The first bucket reads
 * as its upper bound, the overflow bucket as the last finite bound.
 */
export function quantileMs(sketch: ArrayLike<number>, q: number): number | undefined {
  let total = 0;
  for (let i = 0; i < sketch.length; i++) total += sketch[i] ?? 0;
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < sketch.length; i++) {
    seen += sketch[i] ?? 0;
    if (seen >= rank) {
      if (i === 0) return upperBoundMs(0);
      if (i === SKETCH_BUCKETS - 1) return upperBoundMs(SKETCH_BUCKETS - 2);
      return 2 ** ((i + LOWEST - 0.5) / PER_OCTAVE);
    }
  }
  return upperBoundMs(SKETCH_BUCKETS - 2);
}

/** Non-zero buckets as `{ index: count }`, how a sketch is stored (most are empty). */
export function sparseSketch(sketch: ArrayLike<number>): Record<string, number> {
  const sparse: Record<string, number> = {};
  for (let i = 0; i < sketch.length; i++) if (sketch[i]) sparse[i] = sketch[i] as number;
  return sparse;
}

/** The stored form back into a sketch; indexes out of range are ignored. */
export function denseSketch(sparse: Readonly<Record<string, number>>, into: Sketch = newSketch()): Sketch {
  for (const [index, count] of Object.entries(sparse)) {
    const i = Number(index);
    if (Number.isInteger(i) && i >= 0 && i < into.length && Number.isFinite(count)) into[i] = (into[i] as number) + count;
  }
  return into;
}
