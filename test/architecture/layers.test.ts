// The import graph of src/, read from the source text: every import points down the layers,
// src/core imports nothing outside itself, and no files import each other in a loop.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src')

/**
 * Top to bottom; an area may import its own files and any area below it. Areas that share a
 * rank (providers, state) are independent and do not import each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['server'],
  ['providers', 'state'],
  ['routing'],
  ['auth'],
  ['config'],
  ['telemetry'],
  ['util'],
  ['core'],
]

const RANK = new Map<string, number>()
LAYERS.forEach((areas, i) => { for (const a of areas) RANK.set(a, LAYERS.length - i) })

interface Import { readonly from: string, readonly to: string, readonly line: number }

function sourceFiles (dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...sourceFiles(p))
    else if (e.name.endsWith('.ts')) out.push(p)
  }
  return out.sort()
}

// Static imports and re-exports (`… from '…'`, `import '…'`) and dynamic `import('…')`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\1/g

/** Every module specifier in a file, with its line; block and line comments are blanked first. */
function specifiers (text: string): Array<{ spec: string, line: number }> {
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, ' '))
  const out: Array<{ spec: string, line: number }> = []
  for (const m of code.matchAll(SPECIFIER)) {
    out.push({ spec: m[2], line: code.slice(0, m.index).split('\n').length })
  }
  return out
}

/** `core`, `auth`, … for a path under src/ (a file directly in src/ is its own area). */
const areaOf = (file: string): string => relative(SRC, file).split('/')[0].replace(/\.ts$/, '')
const show = (file: string): string => relative(resolve(SRC, '..'), file)

const files = sourceFiles(SRC)
const imports: Import[] = []
const external: Array<{ from: string, spec: string, line: number }> = []
for (const file of files) {
  for (const { spec, line } of specifiers(readFileSync(file, 'utf8'))) {
    if (spec.startsWith('.')) imports.push({ from: file, to: resolve(dirname(file), spec), line })
    else external.push({ from: file, spec, line })
  }
}

t.test('the layer table knows every area of src', async (t) => {
  const unknown = [...new Set(files.map(areaOf))].filter((a) => !RANK.has(a))
  t.strictSame(unknown, [], 'each file under src belongs to an area of the layer table')
})

t.test('every import points down the layers, never up or sideways', async (t) => {
  const wrong: string[] = []
  for (const i of imports) {
    const from = areaOf(i.from)
    const to = areaOf(i.to)
    if (from === to) continue
    const rf = RANK.get(from) ?? 0
    const rt = RANK.get(to) ?? 0
    if (rt >= rf) wrong.push(`${show(i.from)}:${i.line} (${from}) imports ${show(i.to)} (${to})`)
  }
  t.strictSame(wrong, [], 'no import from a lower layer to a higher one, or between areas of one layer')
})

t.test('src/core imports nothing outside src/core: no other area, no package, no node builtin', async (t) => {
  const wrong: string[] = []
  for (const i of imports) {
    if (areaOf(i.from) === 'core' && areaOf(i.to) !== 'core') wrong.push(`${show(i.from)}:${i.line} imports ${show(i.to)}`)
  }
  for (const e of external) {
    if (areaOf(e.from) === 'core') wrong.push(`${show(e.from)}:${e.line} imports ${e.spec}`)
  }
  t.strictSame(wrong, [], 'core is pure: shared vocabulary and policy, no I/O')
})

t.test('no files import each other in a loop', async (t) => {
  const edges = new Map<string, string[]>()
  for (const i of imports) {
    const list = edges.get(i.from) ?? []
    list.push(i.to)
    edges.set(i.from, list)
  }
  const loops: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (f: string): void => {
    state.set(f, 'open')
    path.push(f)
    for (const to of edges.get(f) ?? []) {
      const s = state.get(to)
      if (s === 'open') loops.push([...path.slice(path.indexOf(to)), to].map(show).join(' -> '))
      else if (s === undefined) visit(to)
    }
    path.pop()
    state.set(f, 'done')
  }
  for (const f of files) if (!state.has(f)) visit(f)
  t.strictSame(loops, [], 'the file graph has no cycle')
})
