// An in-process gateway on a temp ROTOR_HOME, with an injectable clock and captured logs.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { startGateway, type Gateway } from '../../src/server/gateway.ts'

export { testClock, type TestClock } from './clock.ts'

export interface TestGateway extends Gateway {
  readonly home: string
  readonly logs: string[]
  /** POST /v1/chat/completions with fetch. */
  chat (body: unknown, headers?: Record<string, string>): Promise<Response>
  writeAuthProfiles (data: unknown, agent?: string): void
}

export interface TestGatewayOptions {
  readonly config: unknown
  readonly env?: Record<string, string>
  readonly authProfiles?: unknown
  readonly now?: () => number
  readonly home?: string
}

export async function startTestGateway (opts: TestGatewayOptions): Promise<TestGateway> {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'rotor-test-'))
  writeFileSync(join(home, 'rotor.json'), JSON.stringify(opts.config, null, 2))
  const writeAuthProfiles = (data: unknown, agent = 'default'): void => {
    const dir = join(home, 'agents', agent, 'agent')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'auth-profiles.json'), JSON.stringify(data, null, 2), { mode: 0o600 })
  }
  if (opts.authProfiles !== undefined) writeAuthProfiles(opts.authProfiles)
  const logs: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { logs.push(...chunk.toString('utf8').split('\n').filter(Boolean)); cb() } })
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, ROTOR_HOME: home, ...opts.env }
  const gw = await startGateway({ env, home, now: opts.now, logDestination: sink, overrides: { host: '127.0.0.1', port: 0 } })
  const base = `http://127.0.0.1:${gw.port}`
  return Object.assign(Object.create(null) as object, gw, {
    home,
    logs,
    url: base,
    chat: (body: unknown, headers: Record<string, string> = {}) => fetch(`${base}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
    writeAuthProfiles,
    close: async () => { await gw.close(); rmSync(home, { recursive: true, force: true }) },
  }) as TestGateway
}

/** A config with one custom openai-completions provider `fake` pointing at `baseUrl`. */
export function fakeProviderConfig (baseUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    logging: { level: 'debug' },
    models: {
      mode: 'replace',
      providers: {
        fake: { baseUrl, api: 'openai-completions', models: [{ id: 'm1' }, { id: 'm2' }] },
        other: { baseUrl, api: 'openai-completions', models: [{ id: 'o1' }] },
      },
    },
    agents: { defaults: { model: { primary: 'fake/m1', fallbacks: ['other/o1'] }, models: { 'fake/m1': { alias: 'one' } } } },
    ...extra,
  }
}
