// The secret an attempt sends, per profile (docs/configuration.md, docs/routing.md): api keys and tokens as stored; OAuth
// access tokens refreshed through the provider's token endpoint when they expire within 5
// minutes (or when the upstream rejected them), one refresh per credential across processes
// (coordinator) and per process (single-flight); GitHub tokens exchanged for Copilot session
// tokens. The common case — a valid token — costs a Map lookup and the file's cached read().
import type { Catalog } from '../config/types.ts'
import type { Clock } from '../core/types.ts'
import type { CredentialsFile } from './credentials-file.ts'
import { codexAccountId } from './oauth/jwt.ts'
import { refreshOAuthToken, type FetchLike } from './oauth/token-endpoints.ts'
import { COPILOT_PROVIDER, COPILOT_TOKEN_URL, exchangeCopilotToken, githubTokenFingerprint } from './oauth/copilot.ts'
import { externalCliFor, type Env, type ExternalCli } from './oauth/external-cli.ts'
import { importExternalCredentials } from './oauth/import.ts'
import { preferUsable, type OAuthLog, type RefreshCoordinator, type RefreshTask, type StoredToken, type TokenSlot } from './oauth/types.ts'
import type { SecretRegistry } from './secret-registry.ts'
import type { AuthProfilesFile, Credential, OAuthCredential, Profile } from './types.ts'
import { RefreshError } from '../core/errors.ts'

export type ResolvedCredential =
  | {
      readonly kind: 'ok'
      readonly secret: string
      readonly extra?: Readonly<Record<string, string>>
      /** Time spent on a token endpoint or waiting for a peer's refresh (upstream wait, not overhead). */
      readonly waitMs?: number
    }
  /** Refresh/exchange failed: the attempt fails with reason `auth` (cooldown, next candidate). */
  | { readonly kind: 'failed', readonly reason: 'auth', readonly message: string, readonly waitMs?: number }
  /** Nothing to send (no credential): skipped like a profile that is not configured. */
  | { readonly kind: 'unusable', readonly message: string }

export interface ResolveOptions {
  /** Refresh even though the stored token looks valid (the upstream answered 401). */
  readonly force?: boolean
  /**
   * With `force`: the token the upstream rejected. Refresh only while it is still the current
   * one, so a burst of 401s for one token causes one refresh, not one each.
   */
  readonly rejected?: string
}

export interface CredentialResolver {
  resolve (agent: string, profile: Profile, options?: ResolveOptions): Promise<ResolvedCredential>
  /** True when a 401 should trigger a forced refresh and a retry (oauth, Copilot). */
  refreshable (profile: Profile): boolean
  /** Imports Claude Code / Codex / Copilot CLI credentials into the agents' files (at start). */
  syncExternal (agents: Iterable<string>): Promise<void>
  close (): Promise<void>
}

export interface CredentialResolverOptions {
  readonly credentials: (agent: string) => CredentialsFile
  readonly catalog: () => Catalog
  readonly coordinator: RefreshCoordinator
  /** The gateway's env: HOME/CODEX_HOME locate the CLIs' files. */
  readonly env: Env
  readonly fetch?: FetchLike
  readonly now?: Clock
  readonly log?: OAuthLog
  /** Refresh when the token expires within this; default 5 min. */
  readonly marginMs?: number
  /** Token endpoint timeout; default 20 s. */
  readonly timeoutMs?: number
  /** Learns every token this resolver obtains or sends to a token endpoint (the gateway's registry). */
  readonly secrets?: SecretRegistry
}

const MARGIN_MS = 5 * 60_000
/** How long a token must still live to be sent at all. */
const VALID_SPARE_MS = 10_000
/** Provider facts adapters need; all non-secret. */
const EXTRA_FIELDS = ['accountId', 'resourceUrl', 'projectId', 'enterpriseUrl', 'baseUrl'] as const

/** The access and refresh tokens of a stored token, and its fields that are secrets too (idToken …). */
function tokenSecrets (t: StoredToken): string[] {
  const out = [t.access, t.refresh]
  for (const [k, v] of Object.entries(t.fields)) if (typeof v === 'string' && /token|secret|key/i.test(k)) out.push(v)
  return out
}

function toStored (c: OAuthCredential): StoredToken {
  const { type: _t, provider: _p, access, refresh, expires, ...fields } = c
  return { access, refresh, expires, fields }
}

function safeName (id: string): string {
  return id.replace(/[^A-Za-z0-9._@-]/g, '_')
}

function extraOf (provider: string, t: StoredToken): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (const k of EXTRA_FIELDS) {
    const v = t.fields[k]
    if (typeof v === 'string' && v !== '') out[k] = v
  }
  if (provider === 'openai-codex' && out.accountId === undefined) {
    const id = codexAccountId(t.access)
    if (id !== undefined) out.accountId = id
  }
  return Object.keys(out).length === 0 ? undefined : out
}

function githubTokenOf (c: Credential): string {
  switch (c.type) {
    case 'api_key': return c.key
    case 'token': return c.token
    // Copilot stored as oauth (docs/providers.md): the GitHub token is the "refresh" token.
    case 'oauth': return c.refresh !== '' ? c.refresh : c.access
  }
}

export function createCredentialResolver (opts: CredentialResolverOptions): CredentialResolver {
  const now = opts.now ?? Date.now
  const margin = opts.marginMs ?? MARGIN_MS
  const log = opts.log
  /** The token each credential's last refresh/adoption settled on in this process. */
  const cache = new Map<string, StoredToken>()
  const inflight = new Map<string, Promise<StoredToken>>()

  const keyOf = (slot: TokenSlot, agent: string, id: string): string => `${slot}|${agent}|${id}`

  // A coordinator's answer supersedes what we had (it read every copy under the lock).
  function remember (key: string, t: StoredToken): void {
    opts.secrets?.add(...tokenSecrets(t))
    cache.set(key, t)
  }

  function readFile (agent: string, fresh: boolean): AuthProfilesFile | undefined {
    try {
      return opts.credentials(agent).read({ fresh })
    } catch {
      return undefined
    }
  }

  function usableFor (options: ResolveOptions, marginMs = margin): (t: StoredToken) => boolean {
    return (t) => t.access !== '' && t.expires - now() > marginMs &&
      (options.force !== true || (options.rejected !== undefined && t.access !== options.rejected))
  }

  /** Not expired (a few seconds to spare for the request it goes with), not the rejected one. */
  const validFor = (options: ResolveOptions): (t: StoredToken) => boolean => usableFor(options, VALID_SPARE_MS)

  /** Single-flight: concurrent callers for one credential share one coordinator run. */
  function flight (key: string, task: RefreshTask): Promise<StoredToken> {
    let p = inflight.get(key)
    if (p === undefined) {
      p = opts.coordinator.run(task)
        .then((t) => { remember(key, t); return t })
        .finally(() => { inflight.delete(key) })
      inflight.set(key, p)
    }
    return p
  }

  /**
   * A caller that joined a run started for another reason (a forced refresh joining a plain
   * one that settled on the very token it saw rejected) runs once more with its own task.
   */
  async function refreshUsable (key: string, task: RefreshTask): Promise<StoredToken> {
    const joined = inflight.has(key)
    const t = await flight(key, task)
    return joined && !task.usable(t) ? await flight(key, task) : t
  }

  async function persistOAuth (agent: string, profileId: string, provider: string, cli: ExternalCli | undefined, usable: (t: StoredToken) => boolean, t: StoredToken): Promise<void> {
    remember(keyOf('tok', agent, profileId), t)
    const stored = readFile(agent, true)?.profiles[profileId]
    try {
      // The common case for a process that lost the race: the winner already wrote it.
      if (stored?.type !== 'oauth' || stored.access !== t.access) await opts.credentials(agent).update((f) => {
        const cur = f.profiles[profileId]
        if (cur === undefined || cur.type !== 'oauth') {
          // Not ours to create or convert, except a CLI import (oauth replaces a token).
          if (cli === undefined || cur?.type === 'api_key') return false
        } else if (cur.access === t.access || (usable(toStored(cur)) && cur.expires > t.expires)) {
          // Same token, or a live newer one written meanwhile (a login): keep it.
          return false
        }
        const base = cur?.type === 'oauth' ? cur : {}
        f.profiles[profileId] = { ...base, ...t.fields, type: 'oauth', provider, access: t.access, refresh: t.refresh, expires: t.expires }
      })
    } catch (err) {
      log?.warn({ err, profile: profileId }, 'could not store the refreshed OAuth token in the credentials file')
    }
    if (cli !== undefined) {
      try {
        if (await cli.writeBack(t, now())) log?.info({ profile: profileId, path: cli.path }, 'refreshed token written back to the CLI credentials file')
      } catch (err) {
        log?.warn({ err, profile: profileId, path: cli.path }, 'could not write the refreshed token back to the CLI credentials file')
      }
    }
  }

  function oauthTask (agent: string, profile: Profile, options: ResolveOptions): RefreshTask {
    const file = opts.credentials(agent)
    const key = keyOf('tok', agent, profile.id)
    const cli = externalCliFor(opts.env, profile.id)
    const usable = usableFor(options)
    return {
      slot: 'tok',
      agent,
      profileId: profile.id,
      provider: profile.provider,
      // CLI-synced credentials may be in several agents' files: lock beside the CLI's file.
      lockPath: cli !== undefined && cli.read() !== undefined
        ? `${cli.path}.rotor-refresh`
        : `${file.path}.refresh-${safeName(profile.id)}`,
      // Clawdbot refreshes holding auth-profiles.json's own lock: hold it too, so whichever
      // comes second re-reads the other's token instead of spending the rotated refresh token.
      exclusive: (job) => file.exclusive(job),
      local (fresh) {
        const c = readFile(agent, fresh)?.profiles[profile.id]
        return preferUsable(usable, cache.get(key), c?.type === 'oauth' ? toStored(c) : undefined, fresh ? cli?.read() : undefined)
      },
      usable,
      valid: validFor(options),
      async fetch (base) {
        if (base === undefined) throw new RefreshError('the credential is gone from the credentials file')
        // It may come from a file rotor has not read before (a CLI's, re-read under the lock).
        opts.secrets?.add(...tokenSecrets(base))
        try {
          const next = await refreshOAuthToken({
            provider: profile.provider,
            current: base,
            override: opts.catalog().providers.get(profile.provider)?.oauth,
            now: now(),
            fetch: opts.fetch,
            timeoutMs: opts.timeoutMs,
          })
          log?.info({ profile: profile.id, provider: profile.provider, expires: next.expires }, 'OAuth token refreshed')
          return next
        } catch (err) {
          throw err instanceof RefreshError ? err : new RefreshError(err instanceof Error ? err.message : String(err))
        }
      },
      persist: (t) => persistOAuth(agent, profile.id, profile.provider, cli, usable, t),
    }
  }

  function copilotTask (agent: string, profile: Profile, githubToken: string, options: ResolveOptions): RefreshTask {
    const key = keyOf('cop', agent, profile.id)
    const src = githubTokenFingerprint(githubToken)
    const usable = usableFor(options)
    return {
      slot: 'cop',
      agent,
      profileId: profile.id,
      provider: profile.provider,
      // Nothing on disk to share: without Redis each process exchanges on its own (GitHub tokens do not rotate).
      lockPath: undefined,
      local: () => {
        const t = cache.get(key)
        return t !== undefined && t.fields.src === src ? t : undefined
      },
      usable: (t) => t.fields.src === src && usable(t),
      valid: (t) => t.fields.src === src && validFor(options)(t),
      async fetch () {
        const tokenUrl = opts.catalog().providers.get(profile.provider)?.oauth?.tokenUrl ?? COPILOT_TOKEN_URL
        opts.secrets?.add(githubToken)
        try {
          const t = await exchangeCopilotToken({ githubToken, tokenUrl, fetch: opts.fetch, timeoutMs: opts.timeoutMs })
          log?.info({ profile: profile.id, expires: t.expires }, 'Copilot token exchanged')
          return t
        } catch (err) {
          throw err instanceof RefreshError ? err : new RefreshError(err instanceof Error ? err.message : String(err))
        }
      },
      persist: async (t) => { if (t.fields.src === src) remember(key, t) },
    }
  }

  function failed (profile: Profile, err: unknown, started: number): ResolvedCredential {
    const provider = profile.provider
    const reason = err instanceof RefreshError ? err.reason : 'internal error'
    if (err instanceof RefreshError) log?.warn({ profile: profile.id, provider, reason }, 'OAuth token refresh failed')
    else log?.error({ err, profile: profile.id, provider }, 'OAuth token refresh crashed')
    return { kind: 'failed', reason: 'auth', message: `OAuth token refresh failed for ${provider}: ${reason}`, waitMs: performance.now() - started }
  }

  function ok (secret: string, extra: Record<string, string> | undefined, started?: number): ResolvedCredential {
    const waited = started === undefined ? {} : { waitMs: performance.now() - started }
    return extra === undefined ? { kind: 'ok', secret, ...waited } : { kind: 'ok', secret, extra, ...waited }
  }

  const isCopilot = (provider: string): boolean =>
    provider === COPILOT_PROVIDER || opts.catalog().providers.get(provider)?.api === 'github-copilot'

  async function resolveCopilot (agent: string, profile: Profile, c: Credential, options: ResolveOptions): Promise<ResolvedCredential> {
    const gh = githubTokenOf(c)
    if (gh === '') return { kind: 'unusable', message: `profile ${profile.id} has no GitHub token` }
    const usable = usableFor(options)
    const key = keyOf('cop', agent, profile.id)
    const src = githubTokenFingerprint(gh)
    const cached = cache.get(key)
    const extraOfCopilot = (t: StoredToken): Record<string, string> | undefined =>
      typeof t.fields.baseUrl === 'string' ? { baseUrl: t.fields.baseUrl } : undefined
    if (cached !== undefined && cached.fields.src === src && usable(cached)) return ok(cached.access, extraOfCopilot(cached))
    const started = performance.now()
    try {
      const t = await refreshUsable(key, copilotTask(agent, profile, gh, options))
      return ok(t.access, extraOfCopilot(t), started)
    } catch (err) {
      return failed(profile, err, started)
    }
  }

  async function resolveOAuth (agent: string, profile: Profile, c: OAuthCredential, options: ResolveOptions): Promise<ResolvedCredential> {
    const key = keyOf('tok', agent, profile.id)
    const usable = usableFor(options)
    const best = preferUsable(usable, cache.get(key), toStored(c))
    if (best !== undefined && usable(best)) return ok(best.access, extraOf(profile.provider, best))
    const started = performance.now()
    try {
      const t = await refreshUsable(key, oauthTask(agent, profile, options))
      return ok(t.access, extraOf(profile.provider, t), started)
    } catch (err) {
      return failed(profile, err, started)
    }
  }

  return {
    refreshable: (profile) => profile.credential !== undefined && (profile.type === 'oauth' || isCopilot(profile.provider)),
    async resolve (agent, profile, options = {}) {
      if (!profile.usable) return { kind: 'unusable', message: profile.unusableReason ?? 'profile is unusable' }
      const c = profile.credential
      // aws-sdk: the adapter runs the AWS chain (its own cache refreshes before expiry).
      if (c === undefined) return profile.type === 'none' || profile.type === 'aws-sdk' ? ok('', undefined) : { kind: 'unusable', message: 'profile has no credential' }
      if (isCopilot(profile.provider)) return await resolveCopilot(agent, profile, c, options)
      switch (c.type) {
        case 'api_key':
          return ok(c.key, undefined)
        case 'token':
          // Static bearer tokens cannot refresh.
          if (c.expires !== undefined && c.expires > 0 && c.expires <= now()) {
            return { kind: 'failed', reason: 'auth', message: `token of profile ${profile.id} expired; paste a new one` }
          }
          return ok(c.token, undefined)
        case 'oauth':
          return await resolveOAuth(agent, profile, c, options)
      }
    },
    async syncExternal (agents) {
      for (const agent of agents) {
        try {
          const changed = await importExternalCredentials(opts.credentials(agent), { env: opts.env, catalog: opts.catalog() })
          if (changed.length > 0) log?.info({ agent, profiles: changed }, 'imported CLI credentials')
        } catch (err) {
          log?.warn({ err, agent }, 'could not import CLI credentials')
        }
      }
    },
    close: () => opts.coordinator.close(),
  }
}
