// `rotor models auth order get|set|clear` and `clear-cooldown`: the per-agent rotation order
// (auth-profiles.json `order`) and manual cooldown clears through the shared state store.
import type { Profile } from '../../auth/types.ts'
import type { LoadedConfig } from '../../config/types.ts'
import { baseOrder } from '../../routing/profile-order.ts'
import { profileProvider } from '../../routing/model-ref.ts'
import { agentOf, credentialsFile, credentialsPath, openStateStore, quietConfig, requireConfig, type CliContext } from '../context.ts'
import { admin, gatewayTarget, isRunning, notifyReload } from '../gateway-client.ts'
import { printJson } from '../output.ts'
import { agentProfiles } from '../profile-state.ts'
import { providerOption, type ProviderOptions } from './auth.ts'
import { CliError, UsageError } from '../../core/errors.ts'

function profilesOf (ctx: CliContext, config: LoadedConfig | undefined, agent: string): Profile[] {
  const file = credentialsFile(ctx, agent).read()
  if (config !== undefined) return agentProfiles(config, file, ctx.env, ctx.now())
  return Object.entries(file.profiles).map(([id, c]) => ({ id, provider: c.provider, type: c.type, source: 'file' as const, credential: c, usable: true }))
}

export async function orderGet (ctx: CliContext, o: ProviderOptions): Promise<void> {
  const provider = providerOption(o)
  const agent = agentOf(o, ctx)
  const config = quietConfig(ctx)
  const file = credentialsFile(ctx, agent).read()
  const profiles = profilesOf(ctx, config, agent).filter((p) => p.provider === provider)
  const explicit = file.order?.[provider]
  const configOrder = config?.agents.get(agent)?.configOrder[provider] ?? config?.agents.get('default')?.configOrder[provider]
  const source = explicit !== undefined && explicit.length > 0 ? 'file' : configOrder !== undefined && configOrder.length > 0 ? 'config' : 'default'
  const effective = baseOrder({ provider, profiles, fileOrder: explicit, configOrder, stats: new Map() }).map((p) => p.id)
  if (o.json === true) {
    printJson(ctx.o, { agent, provider, authFile: credentialsPath(ctx, agent), source, explicit: explicit ?? null, effective })
    return
  }
  const mark = source === 'default' ? ' (default)' : source === 'config' ? ' (from config auth.order)' : ''
  ctx.o.out(`Agent: ${agent}`)
  ctx.o.out(`Provider: ${provider}`)
  ctx.o.out(`Auth file: ${credentialsPath(ctx, agent)}`)
  ctx.o.out(`Order: ${effective.length > 0 ? effective.join(', ') : '(no usable profiles)'}${mark}`)
}

export async function orderSet (ctx: CliContext, ids: readonly string[], o: ProviderOptions): Promise<void> {
  const provider = providerOption(o)
  const agent = agentOf(o, ctx)
  const list = [...new Set(ids.map((x) => x.trim()).filter((x) => x !== ''))]
  if (list.length === 0) throw new UsageError('order set needs at least one profile id')
  const config = quietConfig(ctx)
  const profiles = profilesOf(ctx, config, agent)
  for (const id of list) {
    const p = profiles.find((x) => x.id === id)
    if (p === undefined) throw new CliError(`Auth profile "${id}" not found for agent ${agent} (see rotor models auth list)`)
    if (p.provider !== provider) throw new CliError(`Auth profile "${id}" is for ${p.provider}, not ${provider}`)
  }
  await credentialsFile(ctx, agent).update((f) => { f.order = { ...f.order, [provider]: list } })
  ctx.o.out(`Order for ${provider}: ${list.join(', ')}`)
  await notifyReload(ctx, config)
}

export async function orderClear (ctx: CliContext, o: ProviderOptions): Promise<void> {
  const provider = providerOption(o)
  const agent = agentOf(o, ctx)
  let removed = false
  await credentialsFile(ctx, agent).update((f) => {
    if (f.order === undefined || !Object.hasOwn(f.order, provider)) return false
    delete f.order[provider]
    removed = true
  })
  ctx.o.out(removed ? `Cleared order for ${provider}; the default order applies.` : `No order set for ${provider}.`)
  if (removed) await notifyReload(ctx, quietConfig(ctx))
}

/**
 * Clears cooldown, billing disable and error counts in the store every gateway reads (the
 * file's usageStats, or Redis so every replica sees it), then tells a running gateway, whose
 * memory may hold a change not yet written.
 */
export async function clearCooldownCommand (ctx: CliContext, o: ProviderOptions): Promise<void> {
  const provider = providerOption(o)
  const agent = agentOf(o, ctx)
  const config = requireConfig(ctx)
  const file = credentialsFile(ctx, agent).read()
  const known = agentProfiles(config, file, ctx.env, ctx.now()).filter((p) => p.provider === provider).map((p) => p.id)
  // A profile removed since may still have stats to clear.
  const inStats = Object.keys(file.usageStats ?? {}).filter((id) => profileProvider(id) === provider)
  let ids: string[]
  if (o.profileId !== undefined) {
    const id = o.profileId.trim()
    if (profileProvider(id) !== provider) throw new UsageError(`--profile-id ${id} is not a ${provider} profile`)
    if (!known.includes(id) && !inStats.includes(id)) throw new CliError(`Auth profile "${id}" not found for agent ${agent} (see rotor models auth list)`)
    ids = [id]
  } else {
    ids = [...new Set([...known, ...inStats])]
  }
  if (ids.length === 0) throw new CliError(`No auth profiles for ${provider} (agent ${agent})`)

  const store = await openStateStore(ctx, config)
  try {
    for (const id of ids) await store.clearCooldown(agent, id)
  } finally {
    await store.close()
  }
  const target = gatewayTarget(ctx, config)
  const running = await isRunning(target)
  for (const id of ids) {
    if (running) {
      const r = await admin(target, 'POST', `/admin/profiles/${encodeURIComponent(id)}/clear-cooldown?agent=${encodeURIComponent(agent)}`)
      // 404: the gateway does not know the profile (e.g. removed since); the store is cleared anyway.
      if (!r.ok && !/not found/i.test(r.error)) ctx.o.err(`warning: the gateway at ${target.url} did not clear ${id}: ${r.error}`)
    }
    ctx.o.out(`Cooldown cleared: ${id}`)
  }
}
