// `rotor onboard`: store a provider credential as `<provider>:default` (or import Codex),
// then make sure the agent has a model of that provider: primary when none is set, else a
// fallback. Tells a running gateway to reload.
import { DEFAULT_MODEL_ALIASES } from '../../config/load.ts'
import type { LoadedConfig } from '../../config/types.ts'
import type { Credential } from '../../auth/types.ts'
import { agentOf, quietConfig, tryConfig, credentialsPath, type CliContext, type CommonOptions } from '../context.ts'
import { addAlias, readSelection, updateRawConfig, writeSelection } from '../config-file.ts'
import { checkSecret, codexCredential, putProfile, setupTokenCredential } from '../credentials.ts'
import { notifyReload } from '../gateway-client.ts'
import { UsageError } from '../../core/errors.ts'

export interface OnboardOptions extends CommonOptions {
  readonly anthropicApiKey?: string
  readonly openaiApiKey?: string
  readonly openaiCodex?: boolean
  readonly authChoice?: string
  readonly token?: string
}

/** The model onboarding picks for a provider (Clawdbot's defaults). */
export const DEFAULT_MODELS: Readonly<Record<string, string>> = {
  anthropic: 'anthropic/claude-opus-4-5',
  openai: 'openai/gpt-5.2',
  'openai-codex': 'openai-codex/gpt-5.2',
}

interface Step { readonly id: string, readonly cred: Credential, readonly note?: string }

function apiKeyStep (provider: string, key: string): Step {
  return { id: `${provider}:default`, cred: { type: 'api_key', provider, key: checkSecret(key, `--${provider}-api-key`) } }
}

/** The credentials the flags ask for, in a fixed order; a usage error when there are none. */
function steps (ctx: CliContext, o: OnboardOptions, config: LoadedConfig | undefined): Step[] {
  const out: Step[] = []
  if (o.anthropicApiKey !== undefined) out.push(apiKeyStep('anthropic', o.anthropicApiKey))
  if (o.openaiApiKey !== undefined) out.push(apiKeyStep('openai', o.openaiApiKey))
  const choice = o.authChoice?.trim().toLowerCase()
  if (o.openaiCodex === true || choice === 'openai-codex' || choice === 'codex-cli') {
    const { path, cred } = codexCredential(ctx)
    out.push({ id: 'openai-codex:codex-cli', cred, note: `imported from ${path}` })
  } else if (choice === 'setup-token' || choice === 'token') {
    if (o.token === undefined) throw new UsageError(`--auth-choice ${choice} needs --token <setup-token>`)
    out.push({ id: 'anthropic:claude-cli', cred: setupTokenCredential(checkSecret(o.token, '--token'), ctx.now()) })
  } else if (choice !== undefined) {
    const m = /^([a-z0-9-]+)-api-key$/.exec(choice)
    if (m === null) throw new UsageError(`unknown --auth-choice "${choice}" (use <provider>-api-key, openai-codex or setup-token)`)
    if (o.token === undefined) throw new UsageError(`--auth-choice ${choice} needs --token <key>`)
    if (config !== undefined && !config.catalog.providers.has(m[1])) {
      throw new UsageError(`unknown provider "${m[1]}" (known: ${[...config.catalog.providers.keys()].join(', ')})`)
    }
    out.push(apiKeyStep(m[1], o.token))
  } else if (o.token !== undefined) {
    throw new UsageError('--token needs --auth-choice <provider>-api-key')
  }
  if (out.length === 0) {
    throw new UsageError('nothing to onboard: give --anthropic-api-key K, --openai-api-key K, --openai-codex or --auth-choice <provider>-api-key --token K')
  }
  return out
}

function defaultModelFor (provider: string, config: LoadedConfig | undefined): string | undefined {
  if (DEFAULT_MODELS[provider] !== undefined) return DEFAULT_MODELS[provider]
  const first = config?.catalog.providers.get(provider)?.models.keys().next()
  return first === undefined || first.done === true ? undefined : `${provider}/${first.value}`
}

const providerOf = (ref: string): string => ref.slice(0, Math.max(0, ref.indexOf('/'))).toLowerCase()

/** The alias the built-in table gives a ref, if any (opus, gpt …). */
export function builtinAlias (ref: string): string | undefined {
  return Object.entries(DEFAULT_MODEL_ALIASES).find(([, target]) => target === ref)?.[0]
}

export async function onboard (ctx: CliContext, o: OnboardOptions): Promise<void> {
  const agent = agentOf(o, ctx)
  const config = tryConfig(ctx)
  const todo = steps(ctx, o, config)
  for (const s of todo) {
    await putProfile(ctx, agent, s.id, s.cred)
    ctx.o.out(`Auth profile added: ${s.id} (${s.cred.type})${s.note !== undefined ? ` — ${s.note}` : ''}`)
  }
  ctx.o.out(`Credentials: ${credentialsPath(ctx, agent)}`)

  const notes: string[] = []
  const update = await updateRawConfig(ctx, (raw) => {
    const sel = readSelection(raw, agent)
    let changed = false
    for (const s of todo) {
      const ref = defaultModelFor(s.cred.provider, config)
      if (ref === undefined) continue
      if (sel.primary === undefined || sel.primary.trim() === '') {
        sel.primary = ref
        notes.push(`Primary model: ${ref}`)
        changed = true
      } else if (providerOf(sel.primary) !== s.cred.provider && sel.primary !== ref && !sel.fallbacks.includes(ref) &&
        !sel.fallbacks.some((f) => providerOf(f) === s.cred.provider)) {
        sel.fallbacks.push(ref)
        notes.push(`Fallback added: ${ref}`)
        changed = true
      } else {
        continue
      }
      const alias = builtinAlias(ref)
      if (alias !== undefined && addAlias(raw, ref, alias)) notes.push(`Alias: ${alias} → ${ref}`)
    }
    if (!changed) return false
    writeSelection(raw, agent, sel)
  })
  for (const n of notes) ctx.o.out(n)
  if (update.changed) ctx.o.out(`Config: ${update.path}`)
  // The config after our write (no second warning when it does not load).
  await notifyReload(ctx, quietConfig(ctx) ?? config)
}
