// `rotor doctor`: every problem that would stop the gateway from serving, each with its fix.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { emptyAuthProfiles, openCredentialsFile } from '../../auth/credentials-file.ts'
import type { AuthProfilesFile } from '../../auth/types.ts'
import { authProfilesPath, findConfigPath } from '../../config/paths.ts'
import { EXAMPLE_CONFIG_PATH, loadConfig } from '../../config/load.ts'
import type { LoadedConfig, ProviderDef } from '../../config/types.ts'
import { buildPlan } from '../../routing/plan.ts'
import type { TopologyReport } from '../../state/redis/topology-check.ts'
import type { CliContext, CommonOptions } from '../context.ts'
import { readRawConfig } from '../config-file.ts'
import { printJson, relativeTime } from '../output.ts'
import { agentProfiles, canServe } from '../profile-state.ts'
import { EXIT_OK, EXIT_PROBLEM } from '../../core/errors.ts'

export interface Problem { readonly check: string, readonly message: string, readonly fix: string }

const PLACEHOLDER = 'rotor-doctor-placeholder-'
const VAR_REF = /\$\$\{[A-Z_][A-Z0-9_]*\}|\$\{([A-Z_][A-Z0-9_]*)\}/g

/** `${VAR}` references whose variable is unset or empty, with their config paths. */
function missingVars (value: unknown, env: NodeJS.ProcessEnv, path = '', out: { name: string, path: string }[] = []): { name: string, path: string }[] {
  if (typeof value === 'string') {
    for (const m of value.matchAll(VAR_REF)) {
      const name = m[1]
      if (name !== undefined && (env[name] === undefined || env[name] === '')) out.push({ name, path })
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => missingVars(v, env, `${path}[${i}]`, out))
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) missingVars(v, env, path === '' ? k : `${path}.${k}`, out)
  }
  return out
}

/** The onboarding command or variable that gives a provider credentials. */
export function credentialFix (provider: ProviderDef | undefined, id: string): string {
  const envVar = provider?.envVars[0] ?? provider?.envTokenVars[0]
  const onboard = id === 'anthropic' || id === 'openai'
    ? `rotor onboard --${id}-api-key …`
    : id === 'openai-codex' ? 'rotor onboard --openai-codex' : `rotor onboard --auth-choice ${id}-api-key --token …`
  return envVar !== undefined ? `run ${onboard} or set ${envVar}` : `run ${onboard}`
}

function agentIds (ctx: CliContext, config: LoadedConfig | undefined): string[] {
  const ids = new Set(config?.agents.keys() ?? ['default'])
  try {
    for (const d of readdirSync(join(ctx.home, 'agents'), { withFileTypes: true })) if (d.isDirectory()) ids.add(d.name)
  } catch { /* no agents dir yet */ }
  return [...ids]
}

/** Mode and readability of one agent's credentials file; the parsed file when it is good. */
function checkCredentialsFile (path: string, problems: Problem[]): AuthProfilesFile {
  let mode: number
  try {
    mode = statSync(path).mode & 0o777
  } catch {
    return emptyAuthProfiles()
  }
  if ((mode & 0o077) !== 0) {
    problems.push({ check: 'permissions', message: `${path} is readable by other users (mode ${mode.toString(8).padStart(4, '0')})`, fix: `chmod 600 ${path}` })
  }
  try {
    return openCredentialsFile(path, { checkIntervalMs: 0 }).read()
  } catch (err) {
    problems.push({ check: 'credentials', message: err instanceof Error ? err.message : String(err), fix: `fix or remove ${path}` })
    return emptyAuthProfiles()
  }
}

function checkAgent (ctx: CliContext, config: LoadedConfig, agent: string, file: AuthProfilesFile, problems: Problem[]): void {
  const now = ctx.now()
  // Keys that only exist because doctor filled a missing variable do not count.
  const profiles = agentProfiles(config, file, ctx.env, now).filter((p) =>
    !(p.source === 'config' && p.credential?.type === 'api_key' && p.credential.key.startsWith(PLACEHOLDER)))
  for (const p of profiles) {
    const reason = p.unusableReason
    if (reason !== undefined && reason.startsWith('auth.profiles[')) {
      const [message, fix] = reason.split('; fix: ')
      problems.push({ check: 'mode', message: `${message} (agent ${agent})`, fix: fix ?? 'make auth.profiles agree with the stored credential' })
    }
    const c = p.credential
    if (c?.type === 'oauth' && c.expires <= now && c.refresh === '') {
      problems.push({
        check: 'oauth',
        message: `OAuth token of ${p.id} expired ${relativeTime(c.expires, now)} and has no refresh token (agent ${agent})`,
        fix: `run rotor models auth paste-token --provider ${p.provider} or rotor models auth login --provider ${p.provider}`,
      })
    }
    if (c?.type === 'token' && c.expires !== undefined && c.expires > 0 && c.expires <= now) {
      problems.push({ check: 'token', message: `Token of ${p.id} expired ${relativeTime(c.expires, now)} (agent ${agent})`, fix: `run rotor models auth paste-token --provider ${p.provider}` })
    }
  }
  const settings = config.agents.get(agent) ?? { ...config.agents.get('default')!, id: agent }
  const refs: { ref: string, role: string }[] = []
  if (settings.primary !== undefined) refs.push({ ref: settings.primary, role: 'primary model' })
  settings.fallbacks.forEach((f, i) => refs.push({ ref: f, role: `fallback #${i + 1}` }))
  const reported = new Set<string>()
  for (const { ref, role } of refs) {
    let provider: string
    try {
      provider = buildPlan(ref, settings, config.catalog).chain[0].provider
    } catch (err) {
      problems.push({
        check: 'model',
        message: `The ${role} "${ref}" of agent ${agent} does not resolve: ${err instanceof Error ? err.message : String(err)}`,
        fix: role === 'primary model' ? 'run rotor models set <ref> (see rotor models list)' : `run rotor models fallbacks remove ${ref}`,
      })
      continue
    }
    const def = config.catalog.providers.get(provider)
    if (def === undefined || def.auth === 'none' || reported.has(provider)) continue
    if (profiles.some((p) => p.provider === provider && canServe(p, now))) continue
    reported.add(provider)
    problems.push({ check: 'credentials', message: `No credentials for ${provider}, needed by the ${role} ${ref} of agent ${agent}`, fix: credentialFix(def, provider) })
  }
}

/** Every problem, and what the Redis topology looks like (redis store only). */
export async function diagnose (ctx: CliContext): Promise<{ problems: Problem[], topology: TopologyReport | undefined }> {
  const problems: Problem[] = []
  let topology: TopologyReport | undefined
  const path = findConfigPath({ cliPath: ctx.configPath, env: ctx.env, home: ctx.home })
  const file = path ?? EXAMPLE_CONFIG_PATH
  let config: LoadedConfig | undefined
  try {
    const raw = readRawConfig(file)
    const lenient: Record<string, string | undefined> = { ...ctx.env }
    for (const m of missingVars(raw, ctx.env)) {
      problems.push({ check: 'env', message: `Missing env var "${m.name}" referenced at config path: ${m.path} (in ${file})`, fix: `set ${m.name} in the environment or remove it from ${m.path} in ${file}` })
      lenient[m.name] = PLACEHOLDER + m.name
    }
    try {
      config = loadConfig({ cliPath: ctx.configPath, env: lenient, home: ctx.home })
    } catch (err) {
      problems.push({ check: 'schema', message: err instanceof Error ? err.message : String(err), fix: `edit ${file} (see config/rotor.example.json5 for the format)` })
    }
  } catch (err) {
    problems.push({ check: 'config', message: err instanceof Error ? err.message : String(err), fix: path === undefined ? 'reinstall rotor' : `fix ${file}, or move it away to start from the example` })
  }

  for (const agent of agentIds(ctx, config)) {
    const credentials = checkCredentialsFile(authProfilesPath(ctx.home, agent), problems)
    if (config !== undefined) checkAgent(ctx, config, agent, credentials, problems)
  }

  if (config?.state.store === 'redis') {
    const { checkTopology } = await import('../../state/redis/topology-check.ts')
    topology = await checkTopology(config.state.redis)
    for (const p of topology.problems) problems.push({ check: 'state', ...p })
  }
  return { problems, topology }
}


export async function doctor (ctx: CliContext, o: CommonOptions): Promise<number> {
  const { problems, topology } = await diagnose(ctx)
  if (o.json === true) {
    printJson(ctx.o, { ok: problems.length === 0, problems, ...(topology !== undefined ? { topology } : {}) })
  } else if (problems.length === 0) {
    ctx.o.out('OK')
  } else {
    for (const p of problems) ctx.o.out(`✗ [${p.check}] ${p.message}\n  fix: ${p.fix}`)
    ctx.o.out(`${problems.length} problem${problems.length === 1 ? '' : 's'} found.`)
  }
  return problems.length === 0 ? EXIT_OK : EXIT_PROBLEM
}
