// What every CLI command shares: environment, config loading, the state store, exit codes.
import { agentIdProblem, authProfilesPath, describeTopology, isAgentId, loadConfig, resolveHome } from '../config/index.ts'
import type { LoadedConfig } from '../config/types.ts'
import { openCredentialsFile, type CredentialsFile } from '../auth/credentials-file.ts'
import { createMemoryStore } from '../state/memory-store.ts'
import type { StateStore } from '../state/types.ts'
import { processOutput, type Output } from './output.ts'

/** Exit codes (DESIGN §8). */
export const EXIT_OK = 0
export const EXIT_PROBLEM = 1
export const EXIT_USAGE = 2

/** A failure the user can act on: printed as `rotor: <message>`, exit 1 (or 2 for usage). */
export class CliError extends Error {
  readonly exitCode: number
  constructor (message: string, exitCode = EXIT_PROBLEM) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

export class UsageError extends CliError {
  constructor (message: string) { super(message, EXIT_USAGE) }
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

/** The config as the gateway would load it; a load error becomes a CliError (exit 1). */
export function requireConfig (ctx: CliContext): LoadedConfig {
  try {
    return loadConfig({ cliPath: ctx.configPath, env: ctx.env, home: ctx.home })
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err))
  }
}

/** The config, or undefined (with a warning) when it does not load: credential writes still work. */
export function tryConfig (ctx: CliContext): LoadedConfig | undefined {
  try {
    return loadConfig({ cliPath: ctx.configPath, env: ctx.env, home: ctx.home })
  } catch (err) {
    ctx.o.err(`warning: ${err instanceof Error ? err.message : String(err)}`)
    return undefined
  }
}

/** The config when it loads, without a warning (used to find a running gateway). */
export function quietConfig (ctx: CliContext): LoadedConfig | undefined {
  return tryConfig({ ...ctx, o: { out: () => {}, err: () => {} } })
}

/** `--agent`, else `default`; an id that is not a valid agent id is a usage error (exit 2). */
export function agentOf (opts: { readonly agent?: string }): string {
  const a = opts.agent?.trim()
  if (a === undefined || a === '') return 'default'
  if (!isAgentId(a)) throw new UsageError(agentIdProblem(a))
  return a
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
  if (config.state.store === 'redis') {
    const { createRedisStore } = await import('../state/redis-store.ts')
    const store = await createRedisStore({ topology: config.state.redis, prefix: config.state.prefix, connectWaitMs: 1000, commandTimeoutMs: 1000 })
    if (store.health() !== 'ready') {
      await store.close()
      throw new CliError(`state store unreachable: Redis at ${describeTopology(config.state.redis)} does not answer (start it, or set state.store to memory)`)
    }
    return store
  }
  const files = new Map<string, CredentialsFile>()
  return createMemoryStore({
    credentialsFor: (agent) => {
      let f = files.get(agent)
      if (f === undefined) {
        f = credentialsFile(ctx, agent)
        files.set(agent, f)
      }
      return f
    },
    onError: (err) => { ctx.o.err(`warning: ${err instanceof Error ? err.message : String(err)}`) },
  })
}

