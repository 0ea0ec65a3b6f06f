// Small readers for the deployment files (Dockerfile, compose.yaml, .dockerignore,
// nginx.conf), enough for the deploy tests to check what Docker would do with them.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export function read(rel: string): string {
  return readFileSync(join(ROOT, rel), 'utf8')
}

// ---------------------------------------------------------------------------- narrowing

export type Obj = Record<string, unknown>

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what} is not a mapping`)
  return v
}

export function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`${what} is not a list of strings`)
  return v
}

// ---------------------------------------------------------------------------- Dockerfile

export interface Instruction {
  keyword: string
  args: string
}

/** Instructions in order: comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = []
  let pending = ''
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd()
    const trimmed = line.trim()
    if (trimmed.startsWith('#') || (trimmed === '' && pending === '')) continue
    if (line.endsWith('\\')) { pending += `${line.slice(0, -1)} `; continue }
    const full = (pending + line).trim()
    pending = ''
    if (full === '') continue
    const m = /^(\S+)\s*(.*)$/s.exec(full)
    if (m) out.push({ keyword: m[1].toUpperCase(), args: m[2].trim() })
  }
  return out
}

/** Exec form (`["a", "b"]`) as a list, or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined
  const v: unknown = JSON.parse(args)
  return strings(v, 'exec form')
}

export interface Stage {
  from: string
  name?: string
  instructions: Instruction[]
}

export function stages(instructions: readonly Instruction[]): Stage[] {
  const out: Stage[] = []
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)
      if (!m) throw new Error(`cannot read FROM ${ins.args}`)
      out.push({ from: m[1], ...(m[2] !== undefined ? { name: m[2] } : {}), instructions: [] })
    } else if (out.length > 0) {
      out[out.length - 1].instructions.push(ins)
    }
  }
  return out
}

function unquote(s: string): string {
  return (s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")) ? s.slice(1, -1) : s
}

/** ENV of a stage (`ENV a=b c=d` and the legacy `ENV a b`), later lines winning. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {}
  for (const ins of stage.instructions) {
    if (ins.keyword !== 'ENV') continue
    if (!ins.args.includes('=')) {
      const [k, ...rest] = ins.args.split(/\s+/)
      env[k] = rest.join(' ')
      continue
    }
    for (const pair of ins.args.match(/\S+=(?:"[^"]*"|'[^']*'|\S*)/g) ?? []) {
      const eq = pair.indexOf('=')
      env[pair.slice(0, eq)] = unquote(pair.slice(eq + 1))
    }
  }
  return env
}

export interface Copy {
  flags: string[]
  sources: string[]
  dest: string
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => {
    const parts = i.args.split(/\s+/)
    const flags = parts.filter((p) => p.startsWith('--'))
    const paths = parts.filter((p) => !p.startsWith('--'))
    return { flags, sources: paths.slice(0, -1), dest: paths[paths.length - 1] }
  })
}

export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)
}

/** The exec-form command of `HEALTHCHECK [options] CMD [...]`. */
export function healthcheckCommand(args: string): string[] | undefined {
  const at = args.search(/(^|\s)CMD\s/)
  if (at < 0) return undefined
  return execForm(args.slice(at).trim().replace(/^CMD\s+/, ''))
}

// ---------------------------------------------------------------------------- .dockerignore

/**
 * Whether the build context keeps `path` under .dockerignore's rules as used here:
 * the last pattern matching the path or one of its parent directories wins.
 * Supports `*`/`**` wildcards within segments, which is all this repo's file uses.
 */
export function dockerignoreKeeps(patterns: readonly string[], path: string): boolean {
  const segments = path.split('/')
  const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'))
  let kept = true
  for (const raw of patterns) {
    const negate = raw.startsWith('!')
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '')
    const re = new RegExp(`^${pattern.split('**').map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')).join('.*')}$`)
    if (prefixes.some((p) => re.test(p))) kept = negate
  }
  return kept
}

export function dockerignorePatterns(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
}

// ---------------------------------------------------------------------------- compose

export function parseCompose(text: string): Obj {
  // Compose honours YAML merge keys (`<<: *rotor`); the yaml package needs them switched on.
  return obj(parse(text, { merge: true }), 'compose.yaml')
}

/** Compose variable interpolation: ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e}, $$. */
export function interpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, name?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$'
      const key = name ?? bare ?? ''
      const v = env[key]
      const unset = v === undefined
      const empty = unset || v === ''
      if (op === ':-') return empty ? arg ?? '' : v
      if (op === '-') return unset ? arg ?? '' : v
      if (op === ':?' && empty) throw new Error(`${key}: ${arg ?? 'required'}`)
      if (op === '?' && unset) throw new Error(`${key}: ${arg ?? 'required'}`)
      return v ?? ''
    })
}

/** A service's environment as a map (compose allows a mapping or a `K=V` list). */
export function serviceEnv(service: Obj): Record<string, string> {
  const env = service.environment
  if (env === undefined) return {}
  if (Array.isArray(env)) {
    const out: Record<string, string> = {}
    for (const item of strings(env, 'environment')) {
      const eq = item.indexOf('=')
      if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1)
    }
    return out
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(obj(env, 'environment'))) {
    if (v !== null && v !== undefined) out[k] = String(v)
  }
  return out
}

export interface Mount {
  source: string
  target: string
  bind: boolean
  readOnly: boolean
}

/** Short-syntax and long-syntax volumes of a service. */
export function serviceMounts(service: Obj): Mount[] {
  const vols = service.volumes
  if (vols === undefined) return []
  if (!Array.isArray(vols)) throw new Error('volumes is not a list')
  return vols.map((v: unknown): Mount => {
    if (typeof v === 'string') {
      const [source, target, mode] = v.split(':')
      return { source, target, bind: /^[./~]/.test(source), readOnly: (mode ?? '').split(',').includes('ro') }
    }
    const o = obj(v, 'volume')
    const source = String(o.source)
    return { source, target: String(o.target), bind: o.type === 'bind', readOnly: o.read_only === true }
  })
}

// ---------------------------------------------------------------------------- nginx

function stripNginxComments(text: string): string {
  return text.split('\n').map((l) => l.replace(/(^|\s)#.*$/, '')).join('\n')
}

/** The `server` entries of each `upstream NAME { … }` block. */
export function nginxUpstreams(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const m of stripNginxComments(text).matchAll(/upstream\s+(\S+)\s*\{([^}]*)\}/g)) {
    const servers = m[2].split(';').map((stmt) => stmt.trim().split(/\s+/)).filter((w) => w[0] === 'server' && w[1] !== undefined).map((w) => w[1])
    out.set(m[1], servers)
  }
  return out
}

export interface UpstreamServer {
  address: string
  /** `resolve`, `max_fails=1` … as written. */
  params: string[]
}

/** The `server` entries of the upstream block NAME, with their parameters. */
export function nginxUpstreamServers(text: string, name: string): UpstreamServer[] {
  const m = new RegExp(`upstream\\s+${name}\\s*\\{([^}]*)\\}`).exec(stripNginxComments(text))
  if (!m) return []
  return m[1].split(';').map((stmt) => stmt.trim().split(/\s+/)).filter((w) => w[0] === 'server' && w[1] !== undefined)
    .map((w) => ({ address: w[1], params: w.slice(2) }))
}

/** The body of `location <match> { … }` (no nested blocks), or undefined. */
export function nginxLocation(text: string, match: string): string | undefined {
  const escaped = match.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/\s+/g, '\\s+')
  return new RegExp(`location\\s+${escaped}\\s*\\{([^{}]*)\\}`).exec(stripNginxComments(text))?.[1]
}

/** Every value of a simple directive (`name value…;`) anywhere in the file. */
export function nginxDirective(text: string, name: string): string[] {
  const re = new RegExp(`(?:^|[;{}\\s])${name}\\s+([^;{]*);`, 'g')
  return [...stripNginxComments(text).matchAll(re)].map((m) => m[1].trim())
}

/** nginx time ("660s", "10m", "1h", bare seconds) in seconds. */
export function nginxSeconds(v: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim())
  if (!m) return Number.NaN
  const n = Number(m[1])
  const unit = m[2] ?? 's'
  return unit === 'ms' ? n / 1000 : unit === 's' ? n : unit === 'm' ? n * 60 : unit === 'h' ? n * 3600 : n * 86400
}
