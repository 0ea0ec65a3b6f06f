// The reference docs name what the code has: every config key (docs/configuration.md), every
// route and client-facing error class with its status, code and type (docs/http-api.md), every
// metric (docs/operations.md), every built-in provider, model and key variable
// (docs/providers.md). A key, route, error, metric or model added without its doc fails here.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as errors from '../../src/core/errors.ts'
import { RotorError } from '../../src/core/errors.ts'
import { RotorConfigSchema } from '../../src/config/schema.ts'
import { IMPLEMENTED_API_FAMILIES } from '../../src/config/api-families.ts'
import { BUILTIN_PROVIDERS, bedrockProvider } from '../../src/config/builtin-providers.ts'
import { createMetrics } from '../../src/telemetry/metrics.ts'
import { buildApp, type AppDeps } from '../../src/server/app.ts'
import { createLogger } from '../../src/telemetry/logger.ts'
import { section, tableRows } from '../helpers/markdown.ts'

const DOCS = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs')
const doc = (name: string): string => readFileSync(join(DOCS, name), 'utf8')

/** Whether `text` holds `word` inside backticks (alone or as part of a longer code span). */
function inCode (text: string, word: string): boolean {
  for (const m of text.matchAll(/`([^`\n]+)`/g)) if (m[1] === word || m[1].includes(word)) return true
  return false
}

interface SchemaNode { properties?: Record<string, SchemaNode>, patternProperties?: Record<string, SchemaNode>, items?: SchemaNode, anyOf?: SchemaNode[] }

/**
 * Every key of the config schema as a dotted path (`gateway.host`), and for keys inside a record
 * or a list (a provider entry, an agent) the key's own name with the path it lives under.
 */
function configKeys (node: SchemaNode, path: string, out: Array<{ path: string, key: string, nested: boolean }>, nested = false): void {
  for (const branch of node.anyOf ?? []) configKeys(branch, path, out, nested)
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const p = path === '' ? key : `${path}.${key}`
    out.push({ path: p, key, nested })
    configKeys(child, p, out, nested)
  }
  for (const child of Object.values(node.patternProperties ?? {})) configKeys(child, `${path}.<id>`, out, true)
  if (node.items !== undefined) configKeys(node.items, `${path}[]`, out, true)
}

t.test('configuration.md names every config key', async (t) => {
  const text = doc('configuration.md')
  const keys: Array<{ path: string, key: string, nested: boolean }> = []
  configKeys(RotorConfigSchema as unknown as SchemaNode, '', keys)
  t.ok(keys.length > 60, `the schema has its keys (${keys.length})`)
  for (const k of keys) {
    // Keys under a record or list are documented by name in their entry's table.
    if (k.nested) t.ok(inCode(text, k.key), `${k.path}: \`${k.key}\``)
    else t.ok(inCode(text, k.path), `\`${k.path}\``)
  }
})

t.test('http-api.md lists every route', async (t) => {
  const text = doc('http-api.md')
  const routes = new Set<string>()
  const log = createLogger('silent')
  const deps = { runtime: () => { throw new Error('not used') }, store: {}, now: Date.now, log, metrics: createMetrics(), reload: () => ({ ok: true }), bodyLimitBytes: 1024, requestBodyTimeoutMs: 1000 } as unknown as AppDeps
  const app = buildApp(deps)
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.add(`${m} ${r.url.replace(/:([a-z]+)/g, '{$1}').replace(/\*$/, '{id}')}`)
  })
  await app.ready()
  await app.close()
  t.ok(routes.size >= 10, `the app has its routes (${routes.size})`)
  const table = tableRows(section(text, 'Routes'))
  for (const route of routes) {
    const [method, path] = route.split(' ')
    const row = table.find((cells) => inCode(cells[0], path))
    t.ok(row !== undefined && row[0].includes(method), `${route} is a row of the routes table`)
  }
})

t.test('http-api.md documents every client-facing error class with its status, code and type', async (t) => {
  const text = doc('http-api.md')
  // The error table: status | code | type | when | class. The table after it: status | code | when | class.
  const [table, besides] = section(text, 'Error table').split('Besides the table:')
  const main = tableRows(table)
  const others = tableRows(besides ?? '')
  const rowOf = (name: string): { cells: string[], main: boolean } | undefined => {
    const is = (cells: string[]): boolean => cells[cells.length - 1] === `\`${name}\``
    const m = main.find(is)
    if (m !== undefined) return { cells: m, main: true }
    const o = others.find(is)
    return o === undefined ? undefined : { cells: o, main: false }
  }
  t.ok(main.length >= 10 && others.length >= 6, 'both tables are there')
  const classes = Object.entries(errors)
    .filter(([, v]) => typeof v === 'function' && (v === RotorError || (v as { prototype: unknown }).prototype instanceof RotorError))
  const args: Record<string, unknown[]> = { NoCredentialsError: ['openai'], UpstreamClientError: [422, 'm'] }
  // Load and credentials-file errors stop a start or a CLI command; no route answers with them.
  const notAnswers = new Set(['ConfigError', 'MissingEnvVarError', 'CorruptCredentialsError'])
  for (const [name, ctor] of classes) {
    if (notAnswers.has(name)) continue
    const row = rowOf(name)
    if (row === undefined) { t.fail(`${name} is a row of an error table`); continue }
    const err = new (ctor as new (...a: unknown[]) => RotorError)(...(args[name] ?? ['message', 1]))
    // UpstreamClientError answers with the upstream's own status.
    if (name !== 'UpstreamClientError') t.equal(row.cells[0], String(err.status), `${name}: status`)
    t.ok(inCode(row.cells[1], err.publicCode), `${name}: code ${err.publicCode}`)
    if (row.main) t.equal(row.cells[2], `\`${err.type}\``, `${name}: type`)
    if (err.headers['retry-after'] !== undefined) t.match(row.cells.join(' '), /Retry-After/, `${name}: Retry-After`)
  }
})

t.test('operations.md names every metric', async (t) => {
  const text = doc('operations.md')
  const metrics = createMetrics()
  const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name)
  t.ok(names.length >= 9, `the registry has its metrics (${names.length})`)
  for (const name of names) t.ok(inCode(text, name), name)
})

t.test('providers.md covers every API family, built-in provider, model and key variable', async (t) => {
  const text = doc('providers.md')
  for (const api of IMPLEMENTED_API_FAMILIES) t.ok(inCode(text, api), `API family ${api}`)
  for (const p of [...BUILTIN_PROVIDERS, bedrockProvider({}, 'us-east-1')]) {
    t.ok(inCode(text, p.id), `provider ${p.id}`)
    for (const m of p.models) t.ok(inCode(text, m.id), `${p.id}: model ${m.id}`)
    for (const v of [...p.envVars ?? [], ...p.envTokenVars ?? []]) t.ok(inCode(text, v), `${p.id}: ${v}`)
  }
})
