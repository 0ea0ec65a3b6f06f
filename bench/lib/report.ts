// The bench's output: a table per row, a comparison against the bare proxy, one JSON line.
import type { Mode } from '../rows.ts'
import type { LoadFigures } from './load.ts'

export interface RowResult {
  target: string
  family: string
  mode: Mode
  /** ok: ran clean; flagged: ran but with errors/non-2xx or a failed probe; skipped: not run. */
  status: 'ok' | 'flagged' | 'skipped'
  note?: string
  figures?: LoadFigures
  /** rotor only: median x-rotor-overhead-ms reported by the gateway on probe requests. */
  overheadMs?: number
}

export interface Comparison {
  target: string
  family: string
  mode: Mode
  rpsRatio: number
  addedP50Us: number
  addedP99Us: number
}

/** Flags a row whose load run saw any error, timeout or non-2xx answer. */
export function judge(figures: LoadFigures): { status: 'ok' | 'flagged'; note?: string } {
  const problems: string[] = []
  if (figures.errors > 0) problems.push(`${figures.errors} errors (${figures.timeouts} timeouts)`)
  if (figures.non2xx > 0) {
    const codes = Object.entries(figures.statusCodes).filter(([c]) => !c.startsWith('2')).map(([c, n]) => `${c}×${n}`).join(' ')
    problems.push(`${figures.non2xx} non-2xx (${codes})`)
  }
  if (figures.requests === 0) problems.push('no successful requests')
  return problems.length > 0 ? { status: 'flagged', note: problems.join('; ') } : { status: 'ok' }
}

export function compare(rows: readonly RowResult[], baseline = 'bare'): Comparison[] {
  const out: Comparison[] = []
  for (const row of rows) {
    if (row.target === baseline || !row.figures || row.status === 'skipped') continue
    const base = rows.find((r) => r.target === baseline && r.family === row.family && r.mode === row.mode)
    if (!base?.figures) continue
    out.push({
      target: row.target, family: row.family, mode: row.mode,
      rpsRatio: base.figures.rps > 0 ? row.figures.rps / base.figures.rps : Number.NaN,
      addedP50Us: (row.figures.p50Ms - base.figures.p50Ms) * 1000,
      addedP99Us: (row.figures.p99Ms - base.figures.p99Ms) * 1000,
    })
  }
  return out
}

function fmt(n: number | undefined, digits: number): string {
  return n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits)
}

function table(header: readonly string[], body: readonly (readonly string[])[], rightAlign: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (rightAlign.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')
}

// Flag cell: the note on one line, cut short; the full text is printed below the table.
function oneLine(note: string, max = 100): string {
  const flat = note.split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' | ')
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

/** Full multi-line notes, once per distinct (target, note). */
export function formatDetails(rows: readonly RowResult[]): string {
  const seen = new Set<string>()
  const parts: string[] = []
  for (const r of rows) {
    if (r.status === 'ok' || r.note === undefined || !r.note.includes('\n')) continue
    const key = `${r.target}\0${r.note}`
    if (seen.has(key)) continue
    seen.add(key)
    parts.push(`${r.target} (${r.status}):\n${r.note}`)
  }
  return parts.join('\n\n')
}

export function formatRows(rows: readonly RowResult[]): string {
  const body = rows.map((r) => [
    r.target, r.family, r.mode,
    fmt(r.figures?.rps, 0), fmt(r.figures?.p50Ms, 2), fmt(r.figures?.p99Ms, 2),
    r.figures ? String(r.figures.errors) : '-', r.figures ? String(r.figures.non2xx) : '-',
    fmt(r.overheadMs, 3),
    r.status === 'ok' ? '' : `${r.status.toUpperCase()}${r.note ? `: ${oneLine(r.note)}` : ''}`,
  ])
  return table(['target', 'api', 'mode', 'RPS', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'overhead ms', 'flag'], body, new Set([3, 4, 5, 6, 7, 8]))
}

export function formatComparisons(cmp: readonly Comparison[]): string {
  if (cmp.length === 0) return '(no rows to compare against bare)'
  const body = cmp.map((c) => [c.target, c.family, c.mode, fmt(c.rpsRatio, 3), fmt(c.addedP50Us, 0), fmt(c.addedP99Us, 0)])
  return table(['target', 'api', 'mode', 'RPS ratio vs bare', 'p50 added µs', 'p99 added µs'], body, new Set([3, 4, 5]))
}
