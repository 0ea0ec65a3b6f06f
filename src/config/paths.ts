// Where rotor's files live (docs/configuration.md). Pure path arithmetic plus existence checks.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { checkAgentId } from '../core/agent-id.ts'

/** The environment as rotor reads it; `process.env` fits. */
export type Env = Readonly<Record<string, string | undefined>>

/** Config file names tried in `$ROTOR_HOME`, in this order. */
export const CONFIG_FILE_NAMES: readonly string[] = ['rotor.json', 'rotor.json5', 'rotor.yaml', 'rotor.yml']

function userHome (env: Env): string {
  return nonEmpty(env.HOME) ?? homedir()
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

/** Expands a leading `~` so paths copied from docs work. */
export function expandHome (p: string, env: Env): string {
  if (p === '~') return userHome(env)
  if (p.startsWith('~/')) return join(userHome(env), p.slice(2))
  return p
}

/** `ROTOR_HOME`, else `~/.rotor`; always absolute. */
export function resolveHome (env: Env): string {
  const fromEnv = nonEmpty(env.ROTOR_HOME)
  return resolve(fromEnv !== undefined ? expandHome(fromEnv, env) : join(userHome(env), '.rotor'))
}

export interface FindConfigOptions {
  readonly cliPath?: string | undefined
  readonly env: Env
  readonly home: string
}

/**
 * `--config`, else `ROTOR_CONFIG` (both returned even when missing, so the loader can say so),
 * else the first existing `rotor.{json,json5,yaml,yml}` in home; undefined when none exists.
 */
export function findConfigPath (opts: FindConfigOptions): string | undefined {
  const explicit = nonEmpty(opts.cliPath) ?? nonEmpty(opts.env.ROTOR_CONFIG)
  if (explicit !== undefined) return resolve(expandHome(explicit, opts.env))
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = join(opts.home, name)
    if (existsSync(candidate)) return candidate
  }
  return undefined
}

/**
 * Directory holding agent A's credentials: `$home/agents/A/agent`. Refuses an id that is
 * not a valid agent id, whatever the caller checked: `../x` must never become a path.
 */
export function agentDir (home: string, agentId: string): string {
  return join(home, 'agents', checkAgentId(agentId), 'agent')
}

/** `$home/agents/A/agent/auth-profiles.json`. */
export function authProfilesPath (home: string, agentId: string): string {
  return join(agentDir(home, agentId), 'auth-profiles.json')
}

/** `$home/models.json`, the generated catalog. */
export function modelsJsonPath (home: string): string {
  return join(home, 'models.json')
}
