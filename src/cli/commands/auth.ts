// `rotor models auth paste-token|add|list|remove` (login: src/cli/login-command.ts): the agent's credentials file.
import { maskSecret } from '../../core/mask.ts'
import type { Credential, Profile } from '../../auth/types.ts'
import { parseDurationMs } from '../../core/classify.ts'
import { agentOf, credentialsFile, credentialsPath, quietConfig, tryConfig, type CliContext, type CommonOptions } from '../context.ts'
import { checkSecret, putProfile, setupTokenCredential } from '../credentials.ts'
import { notifyReload } from '../gateway-client.ts'
import { expiryText, printJson, table } from '../output.ts'
import { agentProfiles } from '../profile-state.ts'
import { CliError, UsageError } from '../../core/errors.ts'

export interface ProviderOptions extends CommonOptions {
  readonly provider?: string
  readonly profileId?: string
}

export function providerOption (o: ProviderOptions): string {
  const p = o.provider?.trim().toLowerCase()
  if (p === undefined || p === '') throw new UsageError('--provider <id> is required')
  if (!/^[a-z0-9-]+$/.test(p)) throw new UsageError(`invalid provider id "${p}"`)
  return p
}

function profileIdFor (o: ProviderOptions, provider: string, fallback: string): string {
  const id = o.profileId?.trim() ?? fallback
  if (!id.startsWith(`${provider}:`) || id.length <= provider.length + 1) throw new UsageError(`--profile-id must look like ${provider}:<name>`)
  return id
}

/** `365d`, `12h`, `30m`, or a number of days (Clawdbot's default unit). */
function durationOption (text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const s = text.trim()
  const days = /^(\d+(?:\.\d+)?)d?$/.exec(s)
  const ms = days !== null ? Number(days[1]) * 86_400_000 : parseDurationMs(s)
  if (ms === undefined || ms <= 0) throw new UsageError(`invalid duration "${text}" (e.g. 365d, 12h)`)
  return ms
}

function warnUnknownProvider (ctx: CliContext, provider: string): void {
  const config = tryConfig(ctx)
  if (config !== undefined && !config.catalog.providers.has(provider)) {
    ctx.o.err(`warning: provider "${provider}" is not in the catalog; add it under models.providers to use this profile`)
  }
}

async function added (ctx: CliContext, agent: string, id: string, cred: Credential): Promise<void> {
  await putProfile(ctx, agent, id, cred)
  ctx.o.out(`Auth profile added: ${id} (${cred.type})`)
  await notifyReload(ctx, quietConfig(ctx))
}

export async function pasteToken (ctx: CliContext, o: ProviderOptions & { expiresIn?: string }): Promise<void> {
  const provider = providerOption(o)
  const agent = agentOf(o, ctx)
  const lifetime = durationOption(o.expiresIn)
  warnUnknownProvider(ctx, provider)
  const token = checkSecret(await ctx.readSecret(`Paste the ${provider} token: `), 'token (stdin)')
  const now = ctx.now()
  if (provider === 'anthropic') {
    // A Claude setup-token: an OAuth access token without refresh, valid for a year.
    const cred = setupTokenCredential(token, now)
    if (lifetime !== undefined) cred.expires = now + lifetime
    await added(ctx, agent, profileIdFor(o, provider, 'anthropic:claude-cli'), cred)
    return
  }
  const cred: Credential = { type: 'token', provider, token, ...(lifetime !== undefined ? { expires: now + lifetime } : {}) }
  await added(ctx, agent, profileIdFor(o, provider, `${provider}:manual`), cred)
}

export async function authAdd (ctx: CliContext, o: ProviderOptions & { type?: string, key?: string }): Promise<void> {
  const provider = providerOption(o)
  const agent = agentOf(o, ctx)
  const type = (o.type ?? 'api_key').trim().replace('-', '_')
  if (type !== 'api_key' && type !== 'token') throw new UsageError('--type must be api_key or token (use paste-token or login for oauth)')
  warnUnknownProvider(ctx, provider)
  const secret = checkSecret(o.key ?? await ctx.readSecret(`Paste the ${provider} ${type === 'api_key' ? 'API key' : 'token'}: `), o.key !== undefined ? '--key' : 'secret (stdin)')
  const cred: Credential = type === 'api_key' ? { type: 'api_key', provider, key: secret } : { type: 'token', provider, token: secret }
  await added(ctx, agent, profileIdFor(o, provider, `${provider}:default`), cred)
}

function secretOf (c: Credential | undefined): string {
  if (c === undefined) return '-'
  const s = c.type === 'api_key' ? c.key : c.type === 'token' ? c.token : c.access !== '' ? c.access : c.refresh
  return s === '' ? '(empty)' : maskSecret(s)
}

/** File profiles only, when the config does not load (config/env profiles need it). */
function fileProfiles (file: ReturnType<ReturnType<typeof credentialsFile>['read']>): Profile[] {
  return Object.entries(file.profiles).map(([id, c]) => ({ id, provider: c.provider, type: c.type, source: 'file' as const, credential: c, usable: true }))
}

export async function authList (ctx: CliContext, o: CommonOptions & { provider?: string }): Promise<void> {
  const agent = agentOf(o, ctx)
  const config = tryConfig(ctx)
  const file = credentialsFile(ctx, agent).read()
  const now = ctx.now()
  const all = config !== undefined ? agentProfiles(config, file, ctx.env, now) : fileProfiles(file)
  const provider = o.provider?.trim().toLowerCase()
  const profiles = all.filter((p) => provider === undefined || p.provider === provider)
  const rows = profiles.map((p) => {
    const c = p.credential
    const expires = c?.type === 'oauth' ? c.expires : c?.type === 'token' ? (c.expires ?? null) : null
    return {
      id: p.id, provider: p.provider, type: p.type, source: p.source, secret: secretOf(c), expires,
      email: c !== undefined && typeof c.email === 'string' ? c.email : null,
      usable: p.usable, unusableReason: p.unusableReason ?? null,
    }
  })
  if (o.json === true) {
    printJson(ctx.o, { agent, authFile: credentialsPath(ctx, agent), profiles: rows })
    return
  }
  ctx.o.out(`Auth file: ${credentialsPath(ctx, agent)}`)
  if (rows.length === 0) {
    ctx.o.out('No auth profiles.')
    return
  }
  ctx.o.out(table(['PROFILE', 'PROVIDER', 'TYPE', 'SOURCE', 'SECRET', 'EXPIRES', 'EMAIL'], rows.map((r) => [
    r.id, r.provider, r.type, r.source, r.secret, expiryText(r.expires, now), r.email ?? '-',
  ])))
  for (const r of rows) if (!r.usable && r.unusableReason !== null) ctx.o.out(`! ${r.unusableReason}`)
}

export async function authRemove (ctx: CliContext, id: string, o: CommonOptions): Promise<void> {
  const agent = agentOf(o, ctx)
  const file = credentialsFile(ctx, agent)
  let found = false
  await file.update((f) => {
    if (!Object.hasOwn(f.profiles, id)) return false
    found = true
    delete f.profiles[id]
    if (f.usageStats !== undefined) delete f.usageStats[id]
    for (const [p, ids] of Object.entries(f.order ?? {})) {
      const rest = ids.filter((x) => x !== id)
      if (rest.length > 0) f.order![p] = rest
      else delete f.order![p]
    }
    for (const [p, good] of Object.entries(f.lastGood ?? {})) if (good === id) delete f.lastGood![p]
  })
  if (!found) throw new CliError(`Auth profile "${id}" not found in ${file.path}`)
  ctx.o.out(`Auth profile removed: ${id}`)
  await notifyReload(ctx, quietConfig(ctx))
}
