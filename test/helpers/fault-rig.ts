// The fault suite's setup: `rotor serve` in a child process (a crash ends the process, not the
// test runner) in front of one fake upstream per family — OpenAI chat (`oa/m`), Anthropic
// Messages (`an/claude`) and Codex Responses (`cx/gpt`) — each with two profiles (`a` tried
// first, `b`). Every test takes its own lane (a client key mapped to its own agent, so its
// cooldowns and counters start fresh), and asserts after its fault that the process still
// answers.
import type { Test } from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeAnthropic, type FakeAnthropic } from './fake-anthropic.ts'
import { completion, startFakeUpstream, type FakeUpstream, type RecordedRequest, type Scripted } from './fake-upstream.ts'
import { spawnGateway, type SpawnedGateway } from './spawn-gateway.ts'
import { chatgptJwt, startFakeCodex, type FakeCodex } from '../providers/responses/fake-codex.ts'

export type Family = 'oa/m' | 'an/claude' | 'cx/gpt'

export const KEYS = {
  oa: { a: 'sk-fault-openai-aaaaaaaaaaaa', b: 'sk-fault-openai-bbbbbbbbbbbb' },
  an: { a: 'sk-ant-api03-fault-aaaaaaaaaaaa', b: 'sk-ant-api03-fault-bbbbbbbbbbbb' },
  cx: { a: chatgptJwt('acct-a'), b: chatgptJwt('acct-b') },
} as const

/** What the OpenAI fake does with a request made with profile `a` or `b`. */
export type OpenAIScript = (req: RecordedRequest, profile: 'a' | 'b' | undefined) => Scripted | Promise<Scripted>

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
}

export interface ProfileView {
  readonly id: string
  readonly state: string
  readonly errorCount: number
  readonly failureCounts: Record<string, number>
  readonly cooldownReason: string | null
  readonly modelCooldowns: Record<string, { until: number, errorCount: number }>
}

export interface Lane {
  readonly agent: string
  /** POST /v1/chat/completions as this lane's client; the whole answer is read. */
  ask (model: Family, opts?: { stream?: boolean, content?: string }): Promise<Answer>
  /** The same, but the response is returned unread (for client aborts). */
  open (model: Family, opts?: { stream?: boolean, signal?: AbortSignal }): Promise<Response>
  /** The lane's view of one profile (`oa:a`, …) in /admin/status. */
  profile (id: string): Promise<ProfileView>
}

export interface FaultRig {
  readonly gw: SpawnedGateway
  readonly openai: FakeUpstream
  readonly anthropic: FakeAnthropic
  readonly codex: FakeCodex
  /** Replaces the OpenAI fake's behaviour (a normal answer until set). */
  scriptOpenAI (script: OpenAIScript): void
  /** A fresh client/agent: no cooldowns, no counters. */
  lane (): Lane
  /** The process is up, /healthz answers and a normal request goes through. */
  assertAlive (t: Test): Promise<void>
}

export interface RigOptions {
  readonly firstByteTimeoutMs?: number
  readonly idleTimeoutMs?: number
  readonly requestTimeoutMs?: number
  /** How many lanes the file needs. */
  readonly lanes?: number
}

const ALIVE = 'alive?'

function profilesFile (): unknown {
  const profiles: Record<string, unknown> = {}
  for (const p of ['a', 'b'] as const) {
    profiles[`oa:${p}`] = { type: 'api_key', provider: 'oa', key: KEYS.oa[p] }
    profiles[`an:${p}`] = { type: 'api_key', provider: 'an', key: KEYS.an[p] }
    profiles[`cx:${p}`] = { type: 'oauth', provider: 'cx', access: KEYS.cx[p], refresh: `refresh-${p}`, expires: Date.now() + 24 * 3600e3, accountId: `acct-${p}` }
  }
  return { version: 1, profiles }
}

function whichKey (req: RecordedRequest): 'a' | 'b' | undefined {
  const auth = req.headers.authorization
  if (auth === `Bearer ${KEYS.oa.a}`) return 'a'
  if (auth === `Bearer ${KEYS.oa.b}`) return 'b'
  return undefined
}

function normalAnswer (req: RecordedRequest, profile: string | undefined): Scripted {
  const model = String(req.body.model)
  return req.body.stream === true
    ? { chunks: [`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { content: `from ${profile ?? '?'}` }, finish_reason: null }] })}\n\n`, `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`, 'data: [DONE]\n\n'] }
    : { body: completion(`from ${profile ?? '?'}`, model) }
}

export async function startFaultRig (t: Test, opts: RigOptions = {}): Promise<FaultRig> {
  let script: OpenAIScript = (req, p) => normalAnswer(req, p)
  const openai = await startFakeUpstream((req) => {
    const p = whichKey(req)
    const messages = req.body.messages as Array<{ content?: unknown }> | undefined
    return messages?.[0]?.content === ALIVE ? normalAnswer(req, p) : script(req, p)
  })
  const anthropic = await startFakeAnthropic({ apiKeys: [KEYS.an.a, KEYS.an.b] })
  const codex = await startFakeCodex({ accounts: { [KEYS.cx.a]: 'acct-a', [KEYS.cx.b]: 'acct-b' } })
  const home = mkdtempSync(join(tmpdir(), 'rotor-faults-'))
  const laneCount = opts.lanes ?? 30
  const agents = ['alive', ...Array.from({ length: laneCount }, (_, i) => `lane${i}`)]
  for (const agent of agents) {
    const dir = join(home, 'agents', agent, 'agent')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'auth-profiles.json'), JSON.stringify(profilesFile()), { mode: 0o600 })
  }
  writeFileSync(join(home, 'rotor.json'), JSON.stringify({
    gateway: {
      clients: agents.map((agent) => ({ name: agent, key: `client-key-${agent}`, agent })),
      ...(opts.firstByteTimeoutMs !== undefined ? { firstByteTimeoutMs: opts.firstByteTimeoutMs } : {}),
      ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
      ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    },
    models: {
      mode: 'replace',
      providers: {
        // The second id is no valid header value: the answer's x-rotor-model cannot be written.
        oa: { baseUrl: `${openai.url}/v1`, api: 'openai-completions', models: [{ id: 'm' }, { id: '\u6a21\u578b' }] },
        an: { baseUrl: anthropic.baseUrl, api: 'anthropic-messages', models: [{ id: 'claude', maxTokens: 1024 }] },
        cx: { baseUrl: codex.baseUrl, api: 'openai-responses', auth: 'oauth', models: [{ id: 'gpt' }] },
      },
    },
    agents: { defaults: { model: { primary: 'oa/m' } } },
    auth: { strategy: 'ordered', order: { oa: ['oa:a', 'oa:b'], an: ['an:a', 'an:b'], cx: ['cx:a', 'cx:b'] } },
  }))
  const gw = await spawnGateway(['--host', '127.0.0.1', '--port', '0'], { PATH: process.env.PATH, HOME: home, ROTOR_HOME: home })
  t.teardown(async () => {
    await gw.stop()
    await openai.close()
    await anthropic.close()
    await codex.close()
    rmSync(home, { recursive: true, force: true })
  })

  const post = (agent: string, model: Family, stream: boolean, content: string, signal?: AbortSignal): Promise<Response> =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer client-key-${agent}` },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content }] }),
      signal,
    })
  const read = async (res: Response): Promise<Answer> => ({ status: res.status, headers: res.headers, text: await res.text() })
  let next = 0
  return {
    gw,
    openai,
    anthropic,
    codex,
    scriptOpenAI (s) { script = s },
    lane () {
      if (next >= laneCount) throw new Error(`the rig has ${laneCount} lanes; ask for more`)
      const agent = `lane${next++}`
      return {
        agent,
        ask: async (model, o = {}) => read(await post(agent, model, o.stream ?? false, o.content ?? 'hi')),
        open: (model, o = {}) => post(agent, model, o.stream ?? false, 'hi', o.signal),
        async profile (id) {
          const res = await fetch(`${gw.url}/admin/status?agent=${agent}`)
          const status = await res.json() as { profiles: ProfileView[] }
          const view = status.profiles.find((p) => p.id === id)
          if (view === undefined) throw new Error(`no profile ${id} in /admin/status`)
          return view
        },
      }
    },
    async assertAlive (t) {
      t.equal(gw.child.exitCode, null, 'the gateway process is still running')
      const health = await fetch(`${gw.url}/healthz`).then((r) => r.status, (err: unknown) => String(err))
      t.equal(health, 200, '/healthz answers')
      const answer = await read(await post('alive', 'oa/m', false, ALIVE)).catch((err: unknown) => ({ status: 0, text: String(err) }))
      t.equal(answer.status, 200, 'a normal request still gets its answer')
      if (gw.child.exitCode !== null || answer.status !== 200) t.comment(gw.stderr())
    },
  }
}

/** Events in an SSE text, in order (`data:` payloads). */
export function sseData (text: string): string[] {
  return text.split('\n\n').map((e) => e.trim()).filter((e) => e !== '').map((e) => e.replace(/^data: ?/, ''))
}

/** The final SSE event parsed as an OpenAI error body, or undefined when the stream ended otherwise. */
export function finalError (text: string): { message: string, type: string, code: string } | undefined {
  const events = sseData(text)
  const last = events[events.length - 1]
  if (last === undefined || !last.startsWith('{"error"')) return undefined
  return (JSON.parse(last) as { error: { message: string, type: string, code: string } }).error
}

/** True once a fake has no open response left; polled, bounded at 5 s. */
export async function upstreamReleased (open: () => number): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (open() === 0) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return false
}
