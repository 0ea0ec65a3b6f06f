// `rotor models list|status|set|fallbacks`.
import type { AgentSettings, LoadedConfig } from '../../config/types.ts'
import { buildPlan } from '../../routing/plan.ts'
import { agentOf, credentialsFile, credentialsPath, openStateStore, requireConfig, type CliContext, type CommonOptions } from '../context.ts'
import { addAlias, readSelection, updateRawConfig, writeSelection } from '../config-file.ts'
import { notifyReload } from '../gateway-client.ts'
import { expiryText, printJson, relativeTime, table } from '../output.ts'
import { agentProfiles, canServe, profileState, stateText, type ProfileState } from '../profile-state.ts'
import { builtinAlias } from './onboard.ts'
import { CliError } from '../../core/errors.ts'

export function agentSettings (config: LoadedConfig, agent: string): AgentSettings {
  const s = config.agents.get(agent) ?? config.agents.get('default')
  if (s === undefined) throw new CliError('config has no default agent')
  return s.id === agent ? s : { ...s, id: agent }
}

/** `provider/model` for a ref or alias, as the gateway resolves it. */
export function resolveModel (config: LoadedConfig, agent: string, input: string): string {
  try {
    return buildPlan(input, agentSettings(config, agent), config.catalog).chain[0].ref
  } catch (err) {
    throw new CliError(`${err instanceof Error ? err.message : String(err)} (see rotor models list)`)
  }
}

function resolvedOrSelf (config: LoadedConfig, settings: AgentSettings, ref: string): string {
  try { return buildPlan(ref, settings, config.catalog).chain[0].ref } catch { return ref }
}

function money (n: number): string {
  return n === 0 ? '0' : n < 0.01 ? n.toPrecision(2) : String(Math.round(n * 1000) / 1000)
}

export async function modelsList (ctx: CliContext, o: CommonOptions & { provider?: string }): Promise<void> {
  const config = requireConfig(ctx)
  const agent = agentOf(o, ctx)
  const settings = agentSettings(config, agent)
  const now = ctx.now()
  const profiles = agentProfiles(config, credentialsFile(ctx, agent).read(), ctx.env, now)
  const primary = settings.primary === undefined ? undefined : resolvedOrSelf(config, settings, settings.primary)
  const fallbacks = settings.fallbacks.map((f) => resolvedOrSelf(config, settings, f))
  const models = []
  for (const p of config.catalog.providers.values()) {
    if (o.provider !== undefined && p.id !== o.provider.toLowerCase()) continue
    const auth = p.auth === 'none' || profiles.some((x) => x.provider === p.id && canServe(x, now))
    for (const m of p.models.values()) {
      const ref = `${p.id}/${m.id}`
      const aliases = [...settings.aliases].filter(([, target]) => target === ref).map(([a]) => a)
      const tags: string[] = []
      if (ref === primary) tags.push('default')
      const fi = fallbacks.indexOf(ref)
      if (fi >= 0) tags.push(`fallback#${fi + 1}`)
      models.push({ ref, provider: p.id, id: m.id, name: m.name, api: m.api, reasoning: m.reasoning, input: [...m.input], contextWindow: m.contextWindow, maxTokens: m.maxTokens, cost: { ...m.cost }, aliases, tags, auth })
    }
  }
  if (o.json === true) {
    printJson(ctx.o, { agent, primary: primary ?? null, fallbacks, models })
    return
  }
  ctx.o.out(table(['MODEL', 'NAME', 'CONTEXT', 'INPUT', '$IN/M', '$OUT/M', 'AUTH', 'ALIASES', 'TAGS'], models.map((m) => [
    m.ref, m.name, String(m.contextWindow), m.input.join('+'), money(m.cost.input), money(m.cost.output),
    m.auth ? 'yes' : 'no', m.aliases.join(','), m.tags.join(','),
  ])))
}

export async function modelsStatus (ctx: CliContext, o: CommonOptions): Promise<void> {
  const config = requireConfig(ctx)
  const agent = agentOf(o, ctx)
  const settings = agentSettings(config, agent)
  const file = credentialsFile(ctx, agent).read()
  const store = await openStateStore(ctx, config)
  const storeInfo = { kind: store.kind, health: store.health() }
  let states: ProfileState[]
  const now = ctx.now()
  const profiles = agentProfiles(config, file, ctx.env, now)
  try {
    const stats = await store.readStats(agent, profiles.map((p) => p.id))
    states = profiles.map((p) => profileState(p, stats.get(p.id), now))
  } finally {
    await store.close()
  }
  const refs = [settings.primary, ...settings.fallbacks].filter((r): r is string => r !== undefined).map((r) => resolvedOrSelf(config, settings, r))
  const needed = [...new Set(refs.map((r) => r.split('/')[0]))]
  const missing = needed.filter((provider) => {
    const def = config.catalog.providers.get(provider)
    return def !== undefined && def.auth !== 'none' && !profiles.some((p) => p.provider === provider && canServe(p, now))
  })
  const primary = settings.primary === undefined ? null : resolvedOrSelf(config, settings, settings.primary)
  const fallbacks = settings.fallbacks.map((f) => resolvedOrSelf(config, settings, f))
  if (o.json === true) {
    printJson(ctx.o, {
      agent, store: storeInfo, authFile: credentialsPath(ctx, agent),
      primary, fallbacks, profiles: states, missingCredentials: missing,
    })
    return
  }
  ctx.o.out(`Agent: ${agent}`)
  ctx.o.out(`State store: ${storeInfo.kind} (${storeInfo.health})`)
  ctx.o.out(`Auth file: ${credentialsPath(ctx, agent)}`)
  ctx.o.out(`Primary: ${primary ?? '(none)'}`)
  ctx.o.out(`Fallbacks: ${fallbacks.length > 0 ? fallbacks.join(', ') : '(none)'}`)
  ctx.o.out('')
  const rows = states.map((s) => [
    s.provider, s.id, s.type, s.source, s.usable ? stateText(s, now) : 'unusable', expiryText(s.expires, now),
    relativeTime(s.lastUsed, now), String(s.errorCount),
  ])
  for (const p of missing) rows.push([p, '(none)', '-', '-', 'no credentials', '-', '-', '-'])
  rows.sort((a, b) => a[0] === b[0] ? 0 : a[0] < b[0] ? -1 : 1)
  if (rows.length === 0) ctx.o.out('No auth profiles. Add one with rotor onboard --anthropic-api-key … or set ANTHROPIC_API_KEY.')
  else ctx.o.out(table(['PROVIDER', 'PROFILE', 'TYPE', 'SOURCE', 'STATE', 'EXPIRES', 'LAST USED', 'ERRORS'], rows))
  for (const s of states) if (!s.usable && s.unusableReason !== null) ctx.o.out(`! ${s.unusableReason}`)
  for (const p of missing) ctx.o.out(`! no credentials for ${p}: run rotor onboard or set its API key variable`)
}

export async function modelsSet (ctx: CliContext, input: string, o: CommonOptions): Promise<void> {
  const config = requireConfig(ctx)
  const agent = agentOf(o, ctx)
  const ref = resolveModel(config, agent, input)
  const update = await updateRawConfig(ctx, (raw) => {
    const sel = readSelection(raw, agent)
    const alias = builtinAlias(ref)
    const aliasAdded = alias !== undefined && addAlias(raw, ref, alias)
    if (sel.primary === ref && !aliasAdded) return false
    sel.primary = ref
    writeSelection(raw, agent, sel)
  })
  ctx.o.out(`Primary model: ${ref}${update.changed ? '' : ' (unchanged)'}`)
  if (update.changed) await notifyReload(ctx, requireConfig(ctx))
}

export type FallbacksAction = 'list' | 'add' | 'remove' | 'clear'

export async function modelsFallbacks (ctx: CliContext, action: FallbacksAction, ref: string | undefined, o: CommonOptions): Promise<void> {
  const config = requireConfig(ctx)
  const agent = agentOf(o, ctx)
  if (action === 'list') {
    const settings = agentSettings(config, agent)
    const list = settings.fallbacks.map((f) => resolvedOrSelf(config, settings, f))
    if (o.json === true) printJson(ctx.o, { agent, fallbacks: list })
    else ctx.o.out(list.length === 0 ? 'No fallbacks.' : list.map((f, i) => `${i + 1}. ${f}`).join('\n'))
    return
  }
  const target = action === 'add' && ref !== undefined ? resolveModel(config, agent, ref) : ref
  let message = ''
  const update = await updateRawConfig(ctx, (raw) => {
    const sel = readSelection(raw, agent)
    if (action === 'clear') {
      if (sel.fallbacks.length === 0) { message = 'No fallbacks to clear.'; return false }
      sel.fallbacks = []
      message = 'Fallbacks cleared.'
    } else if (action === 'add' && target !== undefined) {
      if (sel.fallbacks.includes(target)) { message = `Already a fallback: ${target}`; return false }
      sel.fallbacks.push(target)
      message = `Fallback added: ${target}`
    } else if (target !== undefined) {
      const settings = agentSettings(config, agent)
      const want = resolvedOrSelf(config, settings, target)
      const i = sel.fallbacks.findIndex((f) => f === target || resolvedOrSelf(config, settings, f) === want)
      if (i < 0) throw new CliError(`${target} is not a fallback of agent ${agent}`)
      message = `Fallback removed: ${sel.fallbacks[i]}`
      sel.fallbacks.splice(i, 1)
    }
    writeSelection(raw, agent, sel)
  })
  ctx.o.out(message)
  if (update.changed) await notifyReload(ctx, requireConfig(ctx))
}
