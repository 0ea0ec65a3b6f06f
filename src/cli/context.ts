// What every CLI command shares: environment, config loading, the state store, exit codes.
import { checkAgentId } from '../core/agent-id.ts'
import { CliError, EXIT_PROBLEM, EXIT_USAGE, InvalidAgentIdError } from '../core/errors.ts'
import { authProfilesPath, resolveHome } from '../config/paths.ts'
import { loadConfig } from '../config/load.ts'
import { describeTopology } from '../config/redis-topology.ts'
import { DEFAULT_AGENT, type LoadedConfig } from '../config/types.ts'
import { openCredentialsFile, type CredentialsFile } from '../auth/credentials-file.ts'
import { isKeylessProfile } from '../auth/profiles.ts'
import { createStateStore } from '../state/create-store.ts'
import type { StateStore } from '../state/types.ts'
import { processOutput, type Output } from './output.ts'

/** The exit code for what a command threw: a CliError's own, 2 for an invalid agent id (a usage error), else 1. */
export function exitCodeOf (err: unknown): number {
  if (err instanceof CliError) return err.exitCode
  return err instanceof InvalidAgentIdError ? EXIT_USAGE : EXIT_PROBLEM
}

export interface CliContext {
  readonly env: NodeJS.ProcessEnv
  readonly home: string
  /** `--config` of the command, when given. */
  readonly configPath: string | undefined
  readonly o: Output
  readonly now: () => number
  /** Reads the piped stdin (or prompts on a TTY). */
  readonly readSecret: (prompt: string) => Promise<string>
}

export interface CommonOptions {
  readonly config?: string
  readonly agent?: string
  readonly json?: boolean
}

export function createContext (opts: CommonOptions, o: Output = processOutput, env: NodeJS.ProcessEnv = process.env): CliContext {
  return {
    env,
    home: resolveHome(env),
    configPath: opts.config,
    o,
    now: Date.now,
    readSecret: readSecretFromStdin,
  }
}

async function readSecretFromStdin (prompt: string): Promise<string> {
  if (process.stdin.isTTY === true) {
    const { promptHidden } = await import('./hidden-prompt.ts')
    return promptHidden(prompt, process.stdin, process.stderr)
  }
  const parts: Buffer[] = []
  for await (const chunk of process.stdin) parts.push(chunk as Buffer)
  return Buffer.concat(parts).toString('utf8').trim()
}

/** Each load warning once per command (several steps may load the config). */
const shownWarnings = new WeakMap<Output, Set<string>>()

function showWarnings (ctx: CliContext, config: LoadedConfig): LoadedConfig {
  let shown = shownWarnings.get(ctx.o)
  if (shown === undefined) { shown = new Set(); shownWarnings.set(ctx.o, shown) }
  for (const w of config.warnings) {
    if (shown.has(w)) continue
    shown.add(w)
    ctx.o.err(`warning: ${w}`)
  }
  return config
}

/** The config as the gateway would load it; a load error becomes a CliError (exit 1). */
export function requireConfig (ctx: CliContext): LoadedConfig {
  let config: LoadedConfig
  try {
    config = loadConfig({ cliPath: ctx.configPath, env: ctx.env, home: ctx.home })
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err))
  }
  return showWarnings(ctx, config)
}

/** The config, or undefined (with a warning) when it does not load: credential writes still work. */
export function tryConfig (ctx: CliContext): LoadedConfig | undefined {
  let config: LoadedConfig
  try {
    config = loadConfig({ cliPath: ctx.configPath, env: ctx.env, home: ctx.home })
  } catch (err) {
    ctx.o.err(`warning: ${err instanceof Error ? err.message : String(err)}`)
    return undefined
  }
  return showWarnings(ctx, config)
}

/** The config when it loads, without a warning (used to find a running gateway). */
export function quietConfig (ctx: CliContext): LoadedConfig | undefined {
  return tryConfig({ ...ctx, o: { out: () => {}, err: () => {} } })
}

/**
 * `--agent`, else the config's default agent (`default` when the config does not load); an id
 * that is not a valid agent id is InvalidAgentIdError, a usage error (exit 2).
 */
export function agentOf (opts: { readonly agent?: string }, ctx?: CliContext): string {
  const a = opts.agent?.trim()
  if (a === undefined || a === '') return ctx === undefined ? DEFAULT_AGENT : quietConfig(ctx)?.defaultAgent ?? DEFAULT_AGENT
  return checkAgentId(a)
}

export function credentialsPath (ctx: CliContext, agent: string): string {
  return authProfilesPath(ctx.home, agent)
}

/** The agent's credentials file; stat on every read, so the CLI always sees the disk. */
export function credentialsFile (ctx: CliContext, agent: string): CredentialsFile {
  return openCredentialsFile(credentialsPath(ctx, agent), { checkIntervalMs: 0 })
}

/**
 * The same state store the gateway uses: the credentials files' usageStats (memory) or
 * Redis. Callers must close() it; a redis store that cannot reach Redis is closed and
 * reported as an error, since its answers would be local guesses.
 */
export async function openStateStore (ctx: CliContext, config: LoadedConfig): Promise<StateStore> {
  const files = new Map<string, CredentialsFile>()
  const store = await createStateStore(config.state, {
    credentialsFor: (agent) => {
      let f = files.get(agent)
      if (f === undefined) {
        f = credentialsFile(ctx, agent)
        files.set(agent, f)
      }
      return f
    },
    onError: (err) => { ctx.o.err(`warning: ${err instanceof Error ? err.message : String(err)}`) },
    persists: (_agent, id) => !isKeylessProfile(config.catalog, id),
    connectWaitMs: 1000,
    commandTimeoutMs: 1000,
  })
  if (store.health() !== 'ready') {
    await store.close()
    throw new CliError(`state store unreachable: Redis at ${describeTopology(config.state.redis)} does not answer (start it, or set state.store to memory)`)
  }
  return store
}
