// Shared setup for resolver tests: a catalog whose OAuth providers point at a fake token
// endpoint, a temp agent file, and "processes" = resolvers with their own file handles.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { buildCatalog } from '../../../src/config/catalog.ts'
import type { Catalog } from '../../../src/config/types.ts'
import { openCredentialsFile, type CredentialsFile } from '../../../src/auth/credentials-file.ts'
import { resolveProfiles } from '../../../src/auth/profiles.ts'
import { createCredentialResolver, type CredentialResolver } from '../../../src/auth/credential-resolver.ts'
import { createFileCoordinator } from '../../../src/auth/oauth/file-coordinator.ts'
import type { RefreshCoordinator } from '../../../src/auth/oauth/types.ts'
import type { Profile } from '../../../src/auth/types.ts'
import { createLogger } from '../../../src/telemetry/logger.ts'
import type { SecretRegistry } from '../../../src/auth/secret-registry.ts'

export const MIN = 60_000
export const HOUR = 3_600_000

/** Providers `fake` (generic oauth), plus the built-ins with their token URLs at `tokenUrl`. */
export function oauthCatalog (tokenUrl: string, copilotUrl?: string): Catalog {
  return buildCatalog({
    mode: 'merge',
    providers: {
      fake: { baseUrl: 'http://127.0.0.1:9/v1', api: 'openai-completions', auth: 'oauth', oauth: { tokenUrl, clientId: 'fake-client' }, models: [{ id: 'm1' }] },
      'openai-codex': { oauth: { tokenUrl } },
      anthropic: { oauth: { tokenUrl } },
      'qwen-portal': { oauth: { tokenUrl } },
      ...(copilotUrl !== undefined ? { 'github-copilot': { oauth: { tokenUrl: copilotUrl } } } : {}),
    },
  }, {})
}

export function tempHome (prefix = 'rotor-oauth-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function agentFilePath (home: string, agent = 'default'): string {
  return join(home, 'agents', agent, 'agent', 'auth-profiles.json')
}

export function writeProfiles (home: string, profiles: Record<string, unknown>, agent = 'default'): string {
  const path = agentFilePath(home, agent)
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, JSON.stringify({ version: 1, profiles }, null, 2), { mode: 0o600 })
  return path
}

export function expiredOAuth (provider: string, pair: { access: string, refresh: string }, expires = Date.now() - MIN, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'oauth', provider, access: pair.access, refresh: pair.refresh, expires, ...extra }
}

export interface Captured { readonly lines: string[], count (msg: string): number }

export function captureLog (): { log: ReturnType<typeof createLogger>, logged: Captured } {
  const lines: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); cb() } })
  return {
    log: createLogger('debug', sink),
    logged: { lines, count: (msg) => lines.filter((l) => (JSON.parse(l) as { msg?: string }).msg === msg).length },
  }
}

export interface Proc {
  readonly resolver: CredentialResolver
  readonly file: CredentialsFile
  profile (id: string): Profile
}

/** One gateway process's view: its own file handle (own caches), resolver and coordinator. */
export function proc (opts: {
  home: string
  catalog: Catalog
  coordinator?: RefreshCoordinator
  env?: Record<string, string | undefined>
  now?: () => number
  log?: ReturnType<typeof createLogger>
  agent?: string
  secrets?: SecretRegistry
}): Proc {
  const file = openCredentialsFile(agentFilePath(opts.home, opts.agent))
  const files = new Map<string, CredentialsFile>([[opts.agent ?? 'default', file]])
  const resolver = createCredentialResolver({
    credentials: (agent) => {
      let f = files.get(agent)
      if (f === undefined) { f = openCredentialsFile(agentFilePath(opts.home, agent)); files.set(agent, f) }
      return f
    },
    catalog: () => opts.catalog,
    coordinator: opts.coordinator ?? createFileCoordinator({ log: opts.log }),
    env: opts.env ?? { HOME: opts.home },
    now: opts.now,
    log: opts.log,
    secrets: opts.secrets,
  })
  return {
    resolver,
    file,
    profile (id) {
      const p = resolveProfiles({ file: file.read(), catalog: opts.catalog, declared: {}, env: {}, warn: () => {} }).find((x) => x.id === id)
      if (p === undefined) throw new Error(`no profile ${id}`)
      return p
    },
  }
}
