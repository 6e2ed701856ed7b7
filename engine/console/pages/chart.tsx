/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';

/** One step of a chart: its start, and the values drawn for it. */
export interface ChartPoint {
  readonly at: number;
  readonly values: readonly (number | null)[];
}

/** A time to mark with a vertical line (a manifest revision), with what to say about it. */
export interface ChartMarker {
  readonly at: number;
  readonly label: string;
}

const WIDTH = 720;
const HEIGHT = 160;
const PAD = { left: 48, right: 8, top: 8, bottom: 20 };

/**
 * A chart drawn on the server as SVG: it needs no script (the page works without
 * JavaScript, under a CSP that allows none inline) and no chart library. `bars` draws the
 * first series as bars with the second stacked over it in the warning colour (requests and
 * errors); `lines` draws every series as a line (latency percentiles). Markers are dashed
 * vertical lines with a title. The SVG carries a sentence for screen readers; the page
 * gives the numbers as a table too.
 */
export const TimeChart: FC<{
  kind: 'bars' | 'lines';
  points: readonly ChartPoint[];
  from: number;
  to: number;
  markers: readonly ChartMarker[];
  names: readonly string[];
  unit: string;
  summary: string;
}> = ({ kind, points, from, to, markers, names, unit, summary }) => {
  const max = Math.max(1, ...points.flatMap((p) => (kind === 'bars' ? [p.values[0] ?? 0] : p.values.map((v) => v ?? 0))));
  const x = (at: number) => PAD.left + ((at - from) / Math.max(1, to - from)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => HEIGHT - PAD.bottom - (v / max) * (HEIGHT - PAD.top - PAD.bottom);
  const slot = points.length > 1 ? Math.max(1, (x(points[1]?.at ?? to) - x(points[0]?.at ?? from)) * 0.8) : 8;
  const label = (ms: number) => new Date(ms).toISOString().slice(5, 16).replace('T', ' ');
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary}>
      <line class="axis" x1={PAD.left} y1={HEIGHT - PAD.bottom} x2={WIDTH - PAD.right} y2={HEIGHT - PAD.bottom} />
      <text class="tick" x={PAD.left - 4} y={PAD.top + 8} text-anchor="end">
        {`${formatValue(max)}${unit}`}
      </text>
      <text class="tick" x={PAD.left - 4} y={HEIGHT - PAD.bottom} text-anchor="end">
        0
      </text>
      <text class="tick" x={PAD.left} y={HEIGHT - 4}>
        {label(from)}
      </text>
      <text class="tick" x={WIDTH - PAD.right} y={HEIGHT - 4} text-anchor="end">
        {`${label(to)} UTC`}
      </text>
      {kind === 'bars'
        ? points.map((p) => {
            const total = p.values[0] ?? 0;
            const bad = p.values[1] ?? 0;
            return (
              <g>
                <rect class="bar" x={x(p.at)} y={y(total)} width={slot} height={HEIGHT - PAD.bottom - y(total)} />
                {bad > 0 ? <rect class="bar-bad" x={x(p.at)} y={y(bad)} width={slot} height={HEIGHT - PAD.bottom - y(bad)} /> : null}
              </g>
            );
          })
        : names.map((_, i) => {
            // A dot at each step with a value, so a lone step shows too; the line joins them.
            const at = points
              .filter((p) => p.values[i] !== null && p.values[i] !== undefined)
              .map((p) => [(x(p.at) + slot / 2).toFixed(1), y(p.values[i] as number).toFixed(1)] as const);
            return (
              <g class={`line-${i}`}>
                <polyline class={`line line-${i}`} fill="none" points={at.map(([px, py]) => `${px},${py}`).join(' ')} />
                {at.map(([px, py]) => (
                  <circle class={`dot dot-${i}`} cx={px} cy={py} r="2.5" />
                ))}
              </g>
            );
          })}
      {markers.map((m) => (
        <line class="marker" x1={x(m.at)} y1={PAD.top} x2={x(m.at)} y2={HEIGHT - PAD.bottom}>
          <title>{m.label}</title>
        </line>
      ))}
    </svg>
  );
};

export function formatValue(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(3)).toString();
}
