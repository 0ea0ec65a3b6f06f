// `rotor models auth login --provider anthropic|openai-codex|qwen-portal|chutes|github-copilot|google-antigravity`:
// runs the provider's browser (PKCE) or device-code flow and stores the credential in the
// agent's auth-profiles.json. Endpoints come from `models.providers.<id>.oauth.*` in config
// (see OVERRIDE_KEYS in src/auth/login/run-login.ts), so tests and proxies can redirect them.
import { spawn } from 'node:child_process'
import { Option, type Command } from 'commander'
import { LOGIN_PROVIDERS, endpointOverrides, isLoginProvider, runLogin, type LoginProvider } from '../auth/login/run-login.ts'
import { storeLoginResult } from '../auth/login/store.ts'
import type { LoginIO } from '../auth/login/types.ts'
import type { FetchLike } from '../auth/oauth/token-endpoints.ts'
import { authProfilesPath, resolveHome } from '../config/paths.ts'
import { loadConfig } from '../config/load.ts'
import { agentOf, createContext, exitCodeOf } from './context.ts'
import { EXIT_USAGE } from '../core/errors.ts'

/** Same shape as src/cli/output.ts `Output`. */
export interface LoginOutput {
  out (text: string): void
  err (text: string): void
}

export interface LoginCommandDeps {
  /** Defaults to process.env (ROTOR_HOME, ROTOR_CONFIG, CHUTES_CLIENT_ID …). */
  readonly env?: NodeJS.ProcessEnv
  /** Result lines go to `out`, instructions and errors to `err`. Defaults to the process streams. */
  readonly output?: LoginOutput
  /** The user's side of the flow; defaults to the terminal (readline + the system browser). */
  readonly io?: LoginIO
  readonly fetch?: FetchLike
  readonly now?: () => number
  readonly sleep?: (ms: number) => Promise<void>
  /** Exit status on failure (1) — defaults to setting process.exitCode. */
  readonly setExitCode?: (code: number) => void
  /** After the profile is stored, e.g. to ask a running gateway to reload. Errors are warnings. */
  readonly afterStore?: (info: { readonly agent: string, readonly profileId: string, readonly configPath: string | undefined }) => Promise<void>
}

interface LoginFlags {
  readonly provider: LoginProvider
  readonly agent?: string
  readonly profileId?: string
  readonly config?: string
  readonly manual?: boolean
  readonly browser?: boolean
  readonly clientId?: string
}

const processOutput: LoginOutput = {
  out: (t) => { process.stdout.write(t.endsWith('\n') ? t : `${t}\n`) },
  err: (t) => { process.stderr.write(t.endsWith('\n') ? t : `${t}\n`) },
}

/** The system browser, best effort (headless machines just read the printed URL). */
function openInBrowser (url: string): void {
  const [cmd, args] = process.platform === 'darwin'
    ? ['open', [url]]
    : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]]
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true })
    child.on('error', () => {})
    child.unref()
  } catch { /* printed anyway */ }
}

/** Terminal I/O: instructions on stderr, one-line answers from stdin. */
export function terminalIO (output: LoginOutput, browser: boolean): LoginIO {
  return {
    print: (text) => { output.err(text) },
    prompt: async (question, signal) => {
      const { createInterface } = await import('node:readline/promises')
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true })
      try {
        return await rl.question(question, signal === undefined ? {} : { signal })
      } finally {
        rl.close()
      }
    },
    openUrl: (url) => { if (browser) openInBrowser(url) },
  }
}

/** `models.providers.<id>.oauth` of the config, when one loads; login works without a config. */
function oauthConfig (env: NodeJS.ProcessEnv, home: string, configPath: string | undefined, provider: string, output: LoginOutput): unknown {
  try {
    const config = loadConfig({ cliPath: configPath, env, home })
    return config.raw.models?.providers?.[provider]?.oauth
  } catch (err) {
    output.err(`warning: ${err instanceof Error ? err.message : String(err)} (using the default ${provider} endpoints)`)
    return undefined
  }
}

export function registerLoginCommand (auth: Command, deps: LoginCommandDeps = {}): Command {
  return auth.command('login')
    .description('sign in to a provider in the browser or with a device code, and store the credential')
    .addOption(new Option('--provider <id>', 'provider to sign in to').choices(LOGIN_PROVIDERS).makeOptionMandatory())
    .option('--agent <id>', 'agent whose credentials file gets the profile (default: the config\'s default agent)')
    .option('--profile-id <id>', 'store under this profile id instead of <provider>:<email or default>')
    .option('--config <path>', 'config file (for models.providers.<id>.oauth endpoint overrides)')
    .option('--manual', 'do not listen for the browser redirect; paste the redirect URL instead (remote machines)')
    .option('--no-browser', 'print the URL without opening a browser')
    .option('--client-id <id>', 'OAuth client id (Chutes apps; overrides config and CHUTES_CLIENT_ID)')
    .action(async (_flags: LoginFlags, cmd: Command) => {
      const flags = cmd.optsWithGlobals<LoginFlags>()
      const env = deps.env ?? process.env
      const output = deps.output ?? processOutput
      const setExitCode = deps.setExitCode ?? ((code: number) => { process.exitCode = code })
      try {
        const provider = flags.provider
        if (!isLoginProvider(provider)) throw new Error(`no login flow for ${String(provider)}`)
        const agent = agentOf(flags, createContext({ config: flags.config }, output, env))
        const home = resolveHome(env)
        const endpoints = endpointOverrides(provider, oauthConfig(env, home, flags.config, provider, output), env)
        if (flags.clientId !== undefined && flags.clientId.trim() !== '') endpoints.clientId = flags.clientId.trim()
        const result = await runLogin({
          provider,
          endpoints,
          manual: flags.manual === true,
          io: deps.io ?? terminalIO(output, flags.browser !== false),
          fetch: deps.fetch,
          now: deps.now,
          sleep: deps.sleep,
        })
        let profileId = result.profileId
        if (flags.profileId !== undefined) {
          const id = flags.profileId.trim()
          if (!id.startsWith(`${provider}:`) || id.length <= provider.length + 1) throw new Error(`--profile-id must look like ${provider}:<name>`)
          profileId = id
        }
        const { outsideOrder } = await storeLoginResult(authProfilesPath(home, agent), { ...result, profileId })
        output.out(`Auth profile added: ${profileId} (${result.credential.type})`)
        if (outsideOrder) {
          output.err(`note: the auth order for ${provider} does not list ${profileId}; add it with rotor models auth order set --provider ${provider} … ${profileId}`)
        }
        if (deps.afterStore !== undefined) {
          try {
            await deps.afterStore({ agent, profileId, configPath: flags.config })
          } catch (err) {
            output.err(`warning: ${err instanceof Error ? err.message : String(err)}`)
          }
        }
      } catch (err) {
        if (exitCodeOf(err) === EXIT_USAGE) {
          output.err(`rotor: ${err instanceof Error ? err.message : String(err)}`)
          setExitCode(EXIT_USAGE)
          return
        }
        output.err(`rotor: login failed: ${err instanceof Error ? err.message : String(err)}`)
        setExitCode(1)
      }
    })
}
