// The docs stay reachable: every docs/*.md a source comment, test or the README cites exists,
// and a section cited by name ("docs/operations.md, \"Secrets\"") is a heading of that file;
// every relative link in docs/ and the README points at a file that exists, and its #anchor
// at a heading of that file (GitHub's anchor rules).
import t from 'tap'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { anchorsOf } from '../helpers/markdown.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const DOCS = join(ROOT, 'docs')

function filesUnder (dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...filesUnder(p, keep))
    else if (keep(e.name)) out.push(p)
  }
  return out.sort()
}

const read = (p: string): string => readFileSync(p, 'utf8')
const rel = (p: string): string => relative(ROOT, p)

/** Files that may cite the docs: code, tests, bench, the container files, the README, the example config. */
const citing = [
  ...['src', 'test', 'bench', 'docker', 'config'].flatMap((d) => filesUnder(join(ROOT, d), (n) => /\.(ts|js|sh|conf|json5|ya?ml)$/.test(n))),
  join(ROOT, 'README.md'),
]

const docsFiles = filesUnder(DOCS, (n) => n.endsWith('.md'))

t.test('the five reference documents exist', async (t) => {
  for (const name of ['configuration.md', 'http-api.md', 'routing.md', 'operations.md', 'providers.md']) {
    t.ok(existsSync(join(DOCS, name)), `docs/${name}`)
  }
})

t.test('every docs/*.md cited in src, tests and the README exists', async (t) => {
  let cited = 0
  for (const file of citing) {
    // A comment may wrap between the path and its section name: join comment continuations.
    const text = read(file).replace(/\n\s*(\/\/|#|\*)\s*/g, ' ')
    for (const m of text.matchAll(/docs\/([a-z0-9-]+\.md)/g)) {
      cited++
      t.ok(existsSync(join(DOCS, m[1])), `${rel(file)} cites docs/${m[1]}`)
    }
  }
  t.ok(cited > 40, `the sources cite the docs (${cited} citations)`)
})

t.test('a section cited by name is a heading of the cited document', async (t) => {
  let named = 0
  for (const file of citing) {
    const text = read(file).replace(/\n\s*(\/\/|#|\*)\s*/g, ' ')
    for (const m of text.matchAll(/docs\/([a-z0-9-]+\.md),? "([^"]+)"/g)) {
      const doc = join(DOCS, m[1])
      if (!existsSync(doc)) continue
      named++
      const headings = [...read(doc).matchAll(/^#{1,6} (.+)$/gm)].map((h) => h[1].replace(/`/g, '').trim())
      t.ok(headings.includes(m[2]), `${rel(file)}: "${m[2]}" is a heading of docs/${m[1]}`)
    }
  }
  t.ok(named >= 5, `sections are cited by name (${named})`)
})

t.test('every relative link in docs/ and the README resolves, anchors included', async (t) => {
  const pages = [...docsFiles, join(ROOT, 'README.md')]
  const anchors = new Map<string, ReadonlySet<string>>()
  const anchorsFor = (p: string): ReadonlySet<string> => {
    let a = anchors.get(p)
    if (a === undefined) { a = anchorsOf(read(p)); anchors.set(p, a) }
    return a
  }
  let links = 0
  for (const page of pages) {
    // Code blocks and inline code hold examples, not links.
    const text = read(page).replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '')
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]
      if (/^[a-z]+:/i.test(target)) continue
      links++
      const [path, anchor] = target.split('#') as [string, string | undefined]
      const file = path === '' ? page : resolve(dirname(page), path)
      const where = `${rel(page)} → ${target}`
      if (!existsSync(file)) { t.fail(`${where}: no such file`); continue }
      if (anchor === undefined) { t.pass(where); continue }
      if (statSync(file).isDirectory() || !file.endsWith('.md')) { t.fail(`${where}: an anchor into something that is not a markdown file`); continue }
      t.ok(anchorsFor(file).has(anchor), where)
    }
  }
  t.ok(links > 50, `the docs link to each other (${links} links)`)
})
