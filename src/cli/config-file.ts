// Edits of the main config file by the CLI. Works on the file as parsed, before `${VAR}`
// substitution, so references stay references. JSON5 comments are lost on rewrite (the
// file is written back as pretty JSON, which is valid JSON5); YAML stays YAML.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { dirname, extname, join } from 'node:path'
import YAML from 'yaml'
import { lock } from 'proper-lockfile'
import { findConfigPath } from '../config/paths.ts'
import { parseConfigText, resolveConfig, validateConfig } from '../config/load.ts'
import { substituteEnv } from '../config/env-substitute.ts'
import { writeFileAtomic } from '../util/atomic-file.ts'
import { isRecord } from '../core/json.ts'
import type { CliContext } from './context.ts'
import { CliError } from '../core/errors.ts'

export type RawConfig = Record<string, unknown>

const VAR_REF = /\$\$\{[A-Z_][A-Z0-9_]*\}|\$\{([A-Z_][A-Z0-9_]*)\}/g

/** The file commands edit: the one the gateway loads, else `$ROTOR_HOME/rotor.json` (created). */
export function configFilePath (ctx: CliContext): string {
  return findConfigPath({ cliPath: ctx.configPath, env: ctx.env, home: ctx.home }) ?? join(ctx.home, 'rotor.json')
}

/** The raw parsed file, `{}` when it does not exist. */
export function readRawConfig (path: string): RawConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new CliError(`Cannot read config ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  if (text.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = parseConfigText(text, path)
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err))
  }
  if (!isRecord(parsed)) throw new CliError(`Config ${path} must hold an object at the top level`)
  return parsed
}

/** Every `${VAR}` name referenced in a value (escaped `$${VAR}` excluded). */
export function referencedVars (value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(VAR_REF)) if (m[1] !== undefined) out.add(m[1])
  } else if (Array.isArray(value)) {
    for (const v of value) referencedVars(v, out)
  } else if (isRecord(value)) {
    for (const v of Object.values(value)) referencedVars(v, out)
  }
  return out
}

/**
 * Checks a new config before it is written, as the gateway would load it. Variables missing
 * from the CLI's environment get a placeholder: the gateway may well have them.
 */
export function checkRawConfig (raw: RawConfig, path: string, ctx: CliContext): void {
  const env: Record<string, string | undefined> = { ...ctx.env }
  for (const name of referencedVars(raw)) if (env[name] === undefined || env[name] === '') env[name] = `rotor-placeholder-${name}`
  try {
    const valid = validateConfig(substituteEnv(raw, env), path)
    resolveConfig(valid, { path, home: ctx.home, env })
  } catch (err) {
    throw new CliError(`Not written: the change would make the config invalid: ${err instanceof Error ? err.message : String(err)}`)
  }
}

function render (raw: RawConfig, path: string): string {
  const ext = extname(path).toLowerCase()
  return ext === '.yaml' || ext === '.yml' ? YAML.stringify(raw) : JSON.stringify(raw, null, 2) + '\n'
}

/** Creates an empty file so it can be locked; a concurrent creator wins harmlessly. */
function ensureFile (path: string): boolean {
  try { statSync(path); return false } catch {}
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  try {
    const fd = openSync(path, 'wx', 0o600)
    writeSync(fd, '')
    closeSync(fd)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return false
  }
}

function isEmptyFile (path: string): boolean {
  try { return statSync(path).size === 0 } catch { return false }
}

export interface ConfigUpdate { readonly path: string, readonly raw: RawConfig, readonly changed: boolean }

/**
 * Locked read-modify-write of the config file. The mutator edits the raw object and returns
 * false for "nothing to do". The result is validated before the atomic write (keeping the
 * file's mode; 0600 for a new file, since configs may hold keys).
 */
export async function updateRawConfig (ctx: CliContext, mutate: (raw: RawConfig) => void | boolean): Promise<ConfigUpdate> {
  const path = configFilePath(ctx)
  const created = ensureFile(path)
  const release = await lock(path, { realpath: false, stale: 30000, retries: { retries: 20, factor: 1.5, minTimeout: 20, maxTimeout: 500 }, onCompromised: () => {} })
  let written = false
  try {
    const raw = readRawConfig(path)
    if (mutate(raw) === false) return { path, raw, changed: false }
    checkRawConfig(raw, path, ctx)
    const mode = statSync(path).mode & 0o777
    await writeFileAtomic(path, render(raw, path), created ? 0o600 : mode)
    written = true
    return { path, raw, changed: true }
  } finally {
    await release().catch(() => {})
    // Do not leave an empty file behind when nothing was written into the one we created.
    if (created && !written && isEmptyFile(path)) await unlink(path).catch(() => {})
  }
}

/** `parent[key]` as an object, created when missing. */
export function child (parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = parent[key]
  if (isRecord(v)) return v
  const fresh: Record<string, unknown> = {}
  parent[key] = fresh
  return fresh
}

export interface Selection { primary: string | undefined, fallbacks: string[] }

function selectionOf (v: unknown): { primary?: string, fallbacks?: string[] } {
  if (typeof v === 'string') return { primary: v }
  if (!isRecord(v)) return {}
  return {
    ...(typeof v.primary === 'string' ? { primary: v.primary } : {}),
    ...(Array.isArray(v.fallbacks) ? { fallbacks: v.fallbacks.filter((x): x is string => typeof x === 'string') } : {}),
  }
}

/** The agent's entry in `agents.list`, when it has one. */
function listedAgent (raw: RawConfig, agent: string): Record<string, unknown> | undefined {
  const list = isRecord(raw.agents) ? raw.agents.list : undefined
  if (!Array.isArray(list)) return undefined
  return list.find((a): a is Record<string, unknown> => isRecord(a) && a.id === agent)
}

/** The agent's effective primary/fallbacks as written (an agent entry overrides the defaults). */
export function readSelection (raw: RawConfig, agent: string): Selection {
  const defaults = isRecord(raw.agents) && isRecord(raw.agents.defaults) ? selectionOf(raw.agents.defaults.model) : {}
  const entry = listedAgent(raw, agent)
  const own = entry !== undefined ? selectionOf(entry.model) : {}
  return { primary: own.primary ?? defaults.primary, fallbacks: [...(own.fallbacks ?? defaults.fallbacks ?? [])] }
}

/**
 * Writes the selection where it belongs: the agent's `agents.list` entry when it has one,
 * else `agents.defaults.model`; always in object form.
 */
export function writeSelection (raw: RawConfig, agent: string, sel: Selection): void {
  const entry = listedAgent(raw, agent)
  const holder = entry ?? child(child(raw, 'agents'), 'defaults')
  const model: Record<string, unknown> = {}
  if (sel.primary !== undefined) model.primary = sel.primary
  model.fallbacks = sel.fallbacks
  holder.model = model
}

/** Adds `{alias}` for `ref` to `agents.defaults.models` unless the ref or the alias is taken. */
export function addAlias (raw: RawConfig, ref: string, alias: string): boolean {
  const models = child(child(child(raw, 'agents'), 'defaults'), 'models')
  const taken = Object.entries(models).some(([r, e]) => r !== ref && isRecord(e) && typeof e.alias === 'string' && e.alias.toLowerCase() === alias.toLowerCase())
  const existing = models[ref]
  if (taken) return false
  if (isRecord(existing)) {
    if (typeof existing.alias === 'string' && existing.alias !== '') return false
    existing.alias = alias
    return true
  }
  models[ref] = { alias }
  return true
}
