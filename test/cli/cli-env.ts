// A temporary ROTOR_HOME (also HOME) for running the real CLI as a subprocess.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { runCli, spawnGateway, type SpawnedGateway } from '../helpers/spawn-gateway.ts'
import { deadPort } from '../helpers/fake-upstream.ts'
import { freePort } from '../helpers/redis.ts'

export interface CliResult { code: number | null, stdout: string, stderr: string }

export interface CliHome {
  readonly home: string
  readonly env: NodeJS.ProcessEnv
  readonly authFile: string
  readonly configFile: string
  cli (args: string[], stdin?: string, extraEnv?: NodeJS.ProcessEnv): Promise<CliResult>
  /** `--json` output parsed; fails the test when the command did not exit 0. */
  json (args: string[]): Promise<Record<string, unknown>>
  writeConfig (config: unknown): void
  readConfig (): Record<string, unknown>
  readAuth (agent?: string): Record<string, unknown>
  writeAuth (data: unknown, agent?: string, mode?: number): void
  /** `rotor serve` on this home, on the port the CLI looks at. */
  serve (extraEnv?: NodeJS.ProcessEnv): Promise<SpawnedGateway>
}

/**
 * ROTOR_PORT points at a port nothing listens on unless `gateway: true`, so the CLI never
 * talks to a gateway another test (or a developer) runs on 8808.
 */
export async function cliHome (t: Test, opts: { gateway?: boolean, env?: NodeJS.ProcessEnv } = {}): Promise<CliHome> {
  const home = mkdtempSync(join(tmpdir(), 'rotor-cli-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  const port = opts.gateway === true ? await freePort() : await deadPort()
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, ROTOR_HOME: home, ROTOR_PORT: String(port), ...opts.env }
  const authFile = join(home, 'agents', 'default', 'agent', 'auth-profiles.json')
  const configFile = join(home, 'rotor.json')
  const cli = (args: string[], stdin?: string, extraEnv?: NodeJS.ProcessEnv): Promise<CliResult> => runCli(args, { ...env, ...extraEnv }, stdin)
  return {
    home,
    env,
    authFile,
    configFile,
    cli,
    async json (args) {
      const r = await cli(args)
      t.equal(r.code, 0, `rotor ${args.join(' ')} exits 0 (${r.stderr.trim()})`)
      return JSON.parse(r.stdout) as Record<string, unknown>
    },
    writeConfig: (config) => { writeFileSync(configFile, JSON.stringify(config, null, 2)) },
    readConfig: () => JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>,
    readAuth: (agent = 'default') => JSON.parse(readFileSync(join(home, 'agents', agent, 'agent', 'auth-profiles.json'), 'utf8')) as Record<string, unknown>,
    writeAuth (data, agent = 'default', mode = 0o600) {
      const dir = join(home, 'agents', agent, 'agent')
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'auth-profiles.json'), JSON.stringify(data, null, 2), { mode })
    },
    async serve (extraEnv) {
      const gw = await spawnGateway([], { ...env, ...extraEnv })
      t.teardown(() => gw.stop())
      return gw
    },
  }
}

/** Polls `check` until it returns a value (≤ timeoutMs, 100 ms apart; each check may start a CLI process, slow under load); undefined on timeout. */
export async function until<T> (check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > deadline) return undefined
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export interface StatusProfile { id: string, state: string, blocks: Array<{ scope: string, model?: string, reason: string, until: number }>, errorCount: number, type: string, expires: number | null }

export function statusProfile (status: Record<string, unknown>, id: string): StatusProfile | undefined {
  return (status.profiles as StatusProfile[]).find((p) => p.id === id)
}

export const ANTHROPIC_KEY = 'sk-ant-api03-testkeyAAAAAAAAAAAAAAAA1a2b'
export const OPENAI_KEY = 'sk-proj-testkeyBBBBBBBBBBBBBBBBBB3c4d'
