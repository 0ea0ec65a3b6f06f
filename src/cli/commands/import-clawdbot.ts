// `rotor import clawdbot [--from DIR] [--dry-run]`: a Clawdbot setup (its config and every
// agent's credentials) into rotor's home. Where Clawdbot keeps things follows the real project
// (clawdbot/clawdbot v2026.1.24 src/config/paths.ts, src/agents/agent-scope.ts): state dir
// `--from`, else CLAWDBOT_STATE_DIR, else ~/.clawdbot; config CLAWDBOT_CONFIG_PATH, else
// `<state dir>/clawdbot.json`; agent A's credentials in `agents.list[].agentDir`, else
// `<state dir>/agents/A/agent/auth-profiles.json`. Secrets are copied, never printed.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { openCredentialsFile } from '../../auth/credentials-file.ts'
import { importChanges, importStore, type ImportAction, type ImportResult } from '../../auth/store-import.ts'
import type { AuthProfilesFile } from '../../auth/types.ts'
import { CLAWDBOT_DEFAULT_AGENT, clawdbotAgentId, toRotorConfig, type IgnoredSetting } from '../../config/clawdbot-config.ts'
import { parseConfigText, validateConfig } from '../../config/load.ts'
import { authProfilesPath, CONFIG_FILE_NAMES, expandHome } from '../../config/paths.ts'
import { CliError } from '../../core/errors.ts'
import { isRecord } from '../../core/json.ts'
import { writeFileAtomic } from '../../util/atomic-file.ts'
import { credentialsFile, quietConfig, type CliContext, type CommonOptions } from '../context.ts'
import { notifyReload } from '../gateway-client.ts'
import { expiryText } from '../output.ts'

export interface ImportClawdbotOptions extends CommonOptions {
  readonly from?: string
  readonly dryRun?: boolean
}

interface Source { readonly stateDir: string, readonly configPath: string }

interface SourceAgent {
  readonly id: string
  readonly dir: string
  /** Listed in clawdbot.json (else only found on disk). */
  readonly listed: boolean
}

function nonEmpty (v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

function locate (ctx: CliContext, from: string | undefined): Source {
  const home = nonEmpty(ctx.env.HOME) ?? homedir()
  const abs = (p: string): string => resolve(expandHome(p, { ...ctx.env, HOME: home }))
  if (nonEmpty(from) !== undefined) {
    const stateDir = abs(from as string)
    return { stateDir, configPath: join(stateDir, 'clawdbot.json') }
  }
  const stateDir = abs(nonEmpty(ctx.env.CLAWDBOT_STATE_DIR) ?? join(home, '.clawdbot'))
  const configPath = nonEmpty(ctx.env.CLAWDBOT_CONFIG_PATH)
  return { stateDir, configPath: configPath !== undefined ? abs(configPath) : join(stateDir, 'clawdbot.json') }
}

/** Clawdbot's resolveDefaultAgentId: the entry marked default, else the first listed, else `main`. */
function defaultAgentOf (parsed: unknown): string {
  const list = isRecord(parsed) && isRecord(parsed.agents) && Array.isArray(parsed.agents.list) ? parsed.agents.list.filter(isRecord) : []
  const chosen = list.find((a) => a.default === true) ?? list[0]
  return clawdbotAgentId(typeof chosen?.id === 'string' ? chosen.id : CLAWDBOT_DEFAULT_AGENT)
}

/** Every agent of the config (Clawdbot's listAgentIds: the list, else `main`), then any other on disk. */
function agentsOf (parsed: unknown, source: Source, env: CliContext['env']): SourceAgent[] {
  const out: SourceAgent[] = []
  const list = isRecord(parsed) && isRecord(parsed.agents) && Array.isArray(parsed.agents.list) ? parsed.agents.list.filter(isRecord) : []
  const add = (id: string, dir: string, listed: boolean): void => { if (!out.some((a) => a.id === id)) out.push({ id, dir, listed }) }
  for (const a of list) {
    const id = clawdbotAgentId(typeof a.id === 'string' ? a.id : '')
    const custom = typeof a.agentDir === 'string' && a.agentDir.trim() !== '' ? resolve(expandHome(a.agentDir.trim(), env)) : undefined
    add(id, custom ?? join(source.stateDir, 'agents', id, 'agent'), true)
  }
  if (list.length === 0) add(CLAWDBOT_DEFAULT_AGENT, join(source.stateDir, 'agents', CLAWDBOT_DEFAULT_AGENT, 'agent'), true)
  let onDisk: string[] = []
  try { onDisk = readdirSync(join(source.stateDir, 'agents')).sort() } catch {}
  for (const name of onDisk) {
    const dir = join(source.stateDir, 'agents', name, 'agent')
    if (existsSync(join(dir, 'auth-profiles.json'))) add(clawdbotAgentId(name), dir, false)
  }
  return out
}

function sameFile (a: string, b: string): boolean {
  try { return realpathSync(a) === realpathSync(b) } catch { return false }
}

/** The agent's Clawdbot store, read holding its lock (Clawdbot rewrites it in place). */
async function readSource (path: string): Promise<AuthProfilesFile> {
  const file = openCredentialsFile(path, { checkIntervalMs: 0 })
  try {
    return await file.exclusive(async () => file.read({ fresh: true }))
  } catch (err) {
    throw new CliError(`Cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

function describe (a: ImportAction, file: AuthProfilesFile, now: number): string {
  const c = file.profiles[a.id]
  const expiry = c?.type === 'oauth' ? c.expires : c?.type === 'token' ? c.expires : undefined
  const when = expiry !== undefined && expiry > 0 ? `, expires ${expiryText(expiry, now)}` : ''
  switch (a.kind) {
    case 'add': return `  + ${a.id} (${a.type}${when})${a.inherited !== undefined ? `, inherited from ${a.inherited} as Clawdbot shares it` : ''}`
    case 'update': return `  ~ ${a.id} (${a.type}${when}): newer than rotor's copy, replaced`
    case 'same': return `  = ${a.id} (${a.type}): already in rotor`
    case 'keep': return `  ! ${a.id} (${a.type}): kept rotor's — ${a.why}`
    case 'skip': return `  - ${a.id} (${a.type}): not copied — ${a.why}`
  }
}

function reportAgent (ctx: CliContext, agent: SourceAgent, target: string, r: ImportResult, merged: AuthProfilesFile, isDefault: boolean, now: number): void {
  ctx.o.out(`  agent ${agent.id}${isDefault ? ' (default)' : ''}${agent.listed ? '' : ' (not in clawdbot.json; found on disk)'} → ${target}`)
  for (const a of r.profiles) ctx.o.out(`  ${describe(a, merged, now)}`)
  if (r.order.length > 0) ctx.o.out(`    order: ${r.order.map((p) => `${p} [${(merged.order?.[p] ?? []).join(', ')}]`).join('; ')}`)
  if (r.stats.length > 0) ctx.o.out(`    usage stats (cooldowns, disables, last use): ${r.stats.join(', ')}`)
  if (r.lastGood.length > 0) ctx.o.out(`    lastGood: ${r.lastGood.join(', ')}`)
}

function reportIgnored (ctx: CliContext, ignored: readonly IgnoredSetting[]): void {
  if (ignored.length === 0) return
  ctx.o.out('Ignored (rotor does not use these):')
  const byWhy = new Map<string, string[]>()
  for (const x of ignored) byWhy.set(x.why, [...byWhy.get(x.why) ?? [], x.path])
  for (const [why, paths] of byWhy) ctx.o.out(`  ${paths.join(', ')}\n      why: ${why}`)
}

/** `$ROTOR_HOME/rotor.json`, or `rotor.clawdbot.json` beside an existing config (never overwritten). */
function configTarget (home: string): { path: string, beside: string | undefined } {
  const existing = CONFIG_FILE_NAMES.map((n) => join(home, n)).find((p) => existsSync(p))
  return existing === undefined ? { path: join(home, 'rotor.json'), beside: undefined } : { path: join(home, 'rotor.clawdbot.json'), beside: existing }
}

export async function importClawdbot (ctx: CliContext, o: ImportClawdbotOptions): Promise<void> {
  const source = locate(ctx, o.from)
  if (!existsSync(source.stateDir)) throw new CliError(`No Clawdbot state directory at ${source.stateDir} (use --from DIR or set CLAWDBOT_STATE_DIR)`)
  const dry = o.dryRun === true
  const now = ctx.now()
  let parsed: unknown = {}
  const haveConfig = existsSync(source.configPath)
  if (haveConfig) {
    try {
      parsed = parseConfigText(readFileSync(source.configPath, 'utf8'), source.configPath)
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err))
    }
  }
  const defaultAgent = defaultAgentOf(parsed)
  const { config, ignored } = toRotorConfig(parsed, defaultAgent)
  try {
    validateConfig(config, source.configPath)
  } catch (err) {
    throw new CliError(`${err instanceof Error ? err.message : String(err)} (neither rotor nor Clawdbot knows these keys; fix clawdbot.json or import by hand)`)
  }

  ctx.o.out(`Clawdbot: ${source.stateDir}${haveConfig ? ` (config ${source.configPath})` : ' (no clawdbot.json)'}`)
  ctx.o.out(`rotor:    ${ctx.home}`)
  const target = configTarget(ctx.home)
  if (haveConfig) {
    ctx.o.out(`Config → ${target.path}${target.beside !== undefined ? ` (${target.beside} exists and is left as is: review and merge, or use --config ${target.path})` : ''}`)
  }
  ctx.o.out(`  default agent: ${defaultAgent} (Clawdbot's default; rotor serves it to clients without an agent, marked default: true)`)

  ctx.o.out('Credentials:')
  const agents = agentsOf(parsed, source, ctx.env)
  const main = agents.find((a) => a.id === CLAWDBOT_DEFAULT_AGENT)
  const mainPath = main === undefined ? undefined : join(main.dir, 'auth-profiles.json')
  const mainStore = mainPath !== undefined && existsSync(mainPath) ? await readSource(mainPath) : undefined
  for (const agent of agents) {
    const src = join(agent.dir, 'auth-profiles.json')
    const dest = authProfilesPath(ctx.home, agent.id)
    if (!existsSync(src)) {
      const legacy = existsSync(join(agent.dir, 'auth.json')) ? ' (only a legacy auth.json: run Clawdbot once to migrate it, then import again)' : ''
      ctx.o.out(`  agent ${agent.id}: no ${src}${legacy}`)
      continue
    }
    if (sameFile(src, dest)) {
      ctx.o.out(`  agent ${agent.id}: ${dest} is Clawdbot's own file (one shared store): nothing to copy`)
      continue
    }
    const from = await readSource(src)
    const inherited = agent.id !== CLAWDBOT_DEFAULT_AGENT && mainStore !== undefined ? { from: CLAWDBOT_DEFAULT_AGENT, file: mainStore } : undefined
    const file = credentialsFile(ctx, agent.id)
    let result: ImportResult
    let merged: AuthProfilesFile
    if (dry) {
      merged = structuredClone(file.read()) as AuthProfilesFile
      result = importStore(merged, from, { inherited })
    } else {
      let r: ImportResult | undefined
      merged = await file.update((f) => {
        r = importStore(f, from, { inherited })
        return importChanges(r)
      })
      result = r as ImportResult
    }
    reportAgent(ctx, agent, dest, result, merged, agent.id === defaultAgent, now)
  }

  reportIgnored(ctx, ignored)
  if (dry) {
    ctx.o.out('Dry run: nothing written.')
    return
  }
  if (haveConfig) await writeFileAtomic(target.path, JSON.stringify(config, null, 2) + '\n', 0o600)
  ctx.o.out(`Imported. Start with: rotor serve${target.beside !== undefined ? ` --config ${target.path}` : ''}`)
  await notifyReload(ctx, quietConfig(ctx))
}
