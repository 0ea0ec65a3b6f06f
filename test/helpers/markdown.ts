// Markdown helpers for the docs tests: headings, their GitHub anchors, and table rows.

/** The `#` headings of a document, fenced code blocks left out. */
export function headingsOf (text: string): string[] {
  return text.replace(/```[\s\S]*?```/g, '').split('\n')
    .map((line) => /^#{1,6} (.+)$/.exec(line)?.[1])
    .filter((h): h is string => h !== undefined)
}

/**
 * GitHub's anchor for a heading: link syntax reduced to its text, lower case, every character
 * that is not a letter, digit, space, `-` or `_` removed, each space turned into `-`.
 */
export function slug (heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-')
}

/** Every anchor a document offers: a repeated heading gets `-1`, `-2` … as on GitHub. */
export function anchorsOf (text: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const h of headingsOf(text)) {
    const base = slug(h)
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** The section of a document under `heading` (to the next heading of the same or a higher level). */
export function section (text: string, heading: string): string {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => /^#{1,6} /.test(l) && l.replace(/^#+ /, '') === heading)
  if (start < 0) return ''
  const level = /^#+/.exec(lines[start])?.[0].length ?? 1
  const end = lines.findIndex((l, i) => i > start && /^#{1,6} /.test(l) && (/^#+/.exec(l)?.[0].length ?? 7) <= level)
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n')
}

/** The cells of every table body row in `text` (header and separator rows left out). */
export function tableRows (text: string): string[][] {
  const rows: string[][] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (!line.startsWith('|')) continue
    if (/^\|[\s|:-]+\|$/.test(line)) continue
    // A header row is the one right before the separator.
    if (/^\|[\s|:-]+\|$/.test(lines[i + 1] ?? '')) continue
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()))
  }
  return rows
}
