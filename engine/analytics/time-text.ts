const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A time as people type it where a range starts (`--since`, `?from=`): a duration back from
 * `now` (`30m`, `24h`, `7d`) or an ISO time. Epoch ms, or undefined when it is neither.
 */
export function timeFromText(text: string, now = Date.now()): number | undefined {
  const relative = /^(\d+)([mhd])$/.exec(text);
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
