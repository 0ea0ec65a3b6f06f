// Human and machine output of the CLI: aligned tables, JSON, durations and relative times.

/** Where a command writes; the process streams in production, buffers in tests. */
export interface Output {
  out (text: string): void
  err (text: string): void
}

export const processOutput: Output = {
  out: (text) => { process.stdout.write(text.endsWith('\n') ? text : text + '\n') },
  err: (text) => { process.stderr.write(text.endsWith('\n') ? text : text + '\n') },
}

/** Pretty JSON, one document per command. */
export function printJson (o: Output, value: unknown): void {
  o.out(JSON.stringify(value, null, 2))
}

/**
 * Columns padded to the widest cell (header included), two spaces apart; the last column
 * is not padded so lines carry no trailing blanks.
 */
export function table (headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(headers), ...rows.map((r) => line(headers.map((_h, i) => r[i] ?? '')))].join('\n')
}

/** `4m12s`, `2h05m`, `3d4h`, `45s`; non-positive → `0s`. */
export function formatDuration (ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s'
  const s = Math.ceil(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`
  const d = Math.floor(h / 24)
  return `${d}d${h % 24}h`
}

/** `3m ago`, `in 2h05m`, `never` for 0/undefined. */
export function relativeTime (at: number | undefined | null, now: number): string {
  if (at === undefined || at === null || !Number.isFinite(at) || at <= 0) return 'never'
  const d = at - now
  if (Math.abs(d) < 1000) return 'just now'
  return d < 0 ? `${formatDuration(-d)} ago` : `in ${formatDuration(d)}`
}

/** An expiry cell: `-` when none, `expired 3h ago`, else `in 364d23h`. */
export function expiryText (expires: number | undefined | null, now: number): string {
  if (expires === undefined || expires === null || expires <= 0) return '-'
  return expires <= now ? `expired ${relativeTime(expires, now)}` : relativeTime(expires, now)
}
