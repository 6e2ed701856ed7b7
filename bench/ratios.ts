/** The arithmetic mean of `values` (0 for none). */
export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/**
 * The median of the per-round ratios `top[i] / bottom[i]`: rounds that ran side by side are
 * compared with each other, so drift on the machine across rounds favours neither side.
 */
export function medianRatio(top: readonly number[], bottom: readonly number[]): number {
  const ratios = top.map((value, i) => value / (bottom[i] as number)).sort((a, b) => a - b);
  return ratios[Math.floor(ratios.length / 2)] ?? Number.NaN;
}
