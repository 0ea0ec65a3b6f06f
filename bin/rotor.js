#!/usr/bin/env node
// rotor is TypeScript run by Node 24's type stripping. When this bin is started by an older
// node (a system node 20, say), re-run it with the project's own Node 24 (the `node`
// devDependency) or the first node >= 22.18 found.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const main = join(here, '..', 'src', 'cli', 'main.ts')
const [major, minor] = process.versions.node.split('.').map(Number)

if (major > 22 || (major === 22 && minor >= 18)) {
  await import(pathToFileURL(main).href)
} else {
  const candidates = [join(here, '..', 'node_modules', 'node', 'bin', 'node'), join(here, '..', 'node_modules', '.bin', 'node')]
  const node24 = candidates.find((p) => existsSync(p))
  if (node24 === undefined) {
    process.stderr.write(`rotor needs Node.js >= 22.18 (found ${process.version}); run npm install to get the bundled Node 24\n`)
    process.exit(1)
  }
  const r = spawnSync(node24, [main, ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(r.status ?? 1)
}
