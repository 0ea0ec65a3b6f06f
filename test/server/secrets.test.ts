// No secret rotor holds reaches a client or a log line, whatever the upstreams echo back. One
// fake upstream speaks all three wire formats and puts, in every error it returns, the credential
// it received (glued to a word: `key_<secret>`) and one other secret rotor holds (rotating through
// all of them: config/env/file keys, tokens, OAuth access and refresh tokens before and after a
// refresh, Copilot session and GitHub tokens, client and admin keys). A token endpoint echoes
// the refresh token (and the GitHub token) it was sent.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { startFakeUpstream, type RecordedRequest, type Scripted } from '../helpers/fake-upstream.ts'
import { startFakeTokenEndpoint } from '../helpers/fake-token-endpoint.ts'
import { startTestGateway, testClock } from '../helpers/gateway.ts'
import { encodeEvent as anthropicEvent, errorEvent, messageStream } from '../helpers/fake-anthropic.ts'
import { encodeEvent as responsesEvent, failedTranscript, transcript } from '../providers/responses/fake-codex.ts'

const HOUR = 3_600_000
const hex = (bytes: number): string => randomBytes(bytes).toString('hex')

// Static secrets; most carry no vendor prefix, so only scrubbing by value can catch them.
const STATIC = {
  configKey: hex(16),
  fileKey: `sk-proj-${hex(20)}`,
  fileToken: hex(20),
  envKey: hex(18),
  responsesKey: hex(16),
  githubToken: hex(20),
  clientKey: `client-${hex(12)}`,
  adminKey: `admin-${hex(12)}`,
}

const MODELS = ['custom/c1', 'fake/m1', 'deepseek/d1', 'github-copilot/g1', 'claude/s1', 'resp/r1']

type Mode =
  | { readonly kind: 'status', readonly status: number }
  /** An in-stream error event before any output (failover). */
  | { readonly kind: 'early' }
  /**
   * An in-stream error event after the first text (the client stream ends with an error event),
   * held until `release` so that it cannot arrive in the same chunk as the first text.
   */
  | { readonly kind: 'late', readonly release: Promise<void> }

function credentialOf (req: RecordedRequest): string {
  const auth = req.headers.authorization
  if (typeof auth === 'string') return auth.replace(/^(Bearer|token)\s+/i, '')
  const key = req.headers['x-api-key']
  return typeof key === 'string' ? key : ''
}

t.test('no secret reaches a response or a log line, whatever upstreams and token endpoints echo', async (t) => {
  const clock = testClock(Date.now())
  let mode: Mode = { kind: 'status', status: 401 }
  let turn = 0
  /** Every secret so far, with what it is. */
  const known = (): Map<string, string> => new Map<string, string>(([
    ...up.requests.map((r) => [credentialOf(r), `credential sent to ${r.url}`]),
    ...ep.grants.map((g) => [g.refresh_token ?? '', 'refresh token sent']),
    [pair.access, 'first OAuth access token'], [pair.refresh, 'first OAuth refresh token'],
    [ep.latest().access, 'last OAuth access token'], [ep.latest().refresh, 'last OAuth refresh token'],
    // Last, so a static secret is reported by its name.
    ...Object.entries(STATIC).map(([kind, s]) => [s, kind]),
  ] as Array<[string, string]>).filter(([s]) => s.length >= 8))
  const echo = (req: RecordedRequest): string => {
    const all = [...known().keys()]
    return `Incorrect API key provided: key_${credentialOf(req)}. Also seen: "${all[turn++ % all.length]}".`
  }
  const answer = (req: RecordedRequest): Scripted => {
    const message = echo(req)
    const anthropic = req.url.endsWith('/messages')
    const responses = req.url.endsWith('/responses')
    if (mode.kind === 'status') {
      return anthropic
        ? { status: mode.status, body: { type: 'error', error: { type: 'api_error', message } } }
        : { status: mode.status, body: { error: { message, type: 'invalid_request_error', code: null } } }
    }
    if (anthropic) {
      const stream = messageStream({ blocks: [{ type: 'text', parts: ['Hello', ' there'] }] })
      // message_start, ping, content_block_start, the first delta, then the error.
      if (mode.kind === 'early') return { chunks: [anthropicEvent(errorEvent('overloaded_error', message))] }
      return { chunks: [...stream.slice(0, 4).map(anthropicEvent), { data: anthropicEvent(errorEvent('api_error', message)), gate: mode.release }] }
    }
    if (responses) {
      if (mode.kind === 'early') return { chunks: failedTranscript('server_error', message).map(responsesEvent) }
      const head = transcript([{ type: 'message', text: ['Hello', ' there'] }]).slice(0, 5)
      return { chunks: [...head.map(responsesEvent), { data: responsesEvent({ event: 'error', data: { type: 'error', code: 'server_error', message } }), gate: mode.release }] }
    }
    // Chat Completions upstreams have no in-stream error before their first chunk (and after it
    // their bytes pass through untouched): they fail over with a 500.
    return { status: 500, body: { error: { message, type: 'server_error', code: null } } }
  }

  const up = await startFakeUpstream(answer)
  const ep = await startFakeTokenEndpoint({ jwtAccountId: 'acct-echo', copilotApi: `${up.url}/v1` })
  ep.allowGithubToken(STATIC.githubToken)
  const pair = ep.seed()
  const gw = await startTestGateway({
    now: clock,
    env: { DEEPSEEK_API_KEY: STATIC.envKey, GH_TOKEN: STATIC.githubToken },
    config: {
      logging: { level: 'debug' },
      gateway: { clients: [{ name: 'app', key: STATIC.clientKey }], adminKey: STATIC.adminKey },
      auth: { strategy: 'ordered' },
      models: {
        mode: 'replace',
        providers: {
          custom: { baseUrl: `${up.url}/v1`, api: 'openai-completions', apiKey: STATIC.configKey, models: [{ id: 'c1' }] },
          fake: { baseUrl: `${up.url}/v1`, api: 'openai-completions', models: [{ id: 'm1' }] },
          deepseek: { baseUrl: `${up.url}/v1`, models: [{ id: 'd1' }] },
          'github-copilot': { baseUrl: `${up.url}/v1`, oauth: { tokenUrl: ep.copilotUrl }, models: [{ id: 'g1' }] },
          claude: { baseUrl: `${up.url}/v1`, api: 'anthropic-messages', auth: 'oauth', oauth: { tokenUrl: ep.tokenUrl, clientId: 'echo-client' }, models: [{ id: 's1' }] },
          resp: { baseUrl: `${up.url}/v1`, api: 'openai-responses', models: [{ id: 'r1' }] },
        },
      },
      agents: { defaults: { model: { primary: MODELS[0], fallbacks: MODELS.slice(1) } } },
    },
    authProfiles: {
      version: 1,
      profiles: {
        'fake:key': { type: 'api_key', provider: 'fake', key: STATIC.fileKey },
        'fake:tok': { type: 'token', provider: 'fake', token: STATIC.fileToken },
        'claude:me': { type: 'oauth', provider: 'claude', access: pair.access, refresh: pair.refresh, expires: clock.now + HOUR },
        'resp:key': { type: 'api_key', provider: 'resp', key: STATIC.responsesKey },
      },
    },
  })
  t.teardown(async () => { await up.close(); await ep.close() })

  const outputs: Array<{ where: string, text: string }> = []
  const auth = { authorization: `Bearer ${STATIC.clientKey}` }
  const send = async (where: string, body: Record<string, unknown>, headers = auth, committed = (): void => {}): Promise<{ status: number, text: string }> => {
    const res = await gw.chat({ messages: [{ role: 'user', content: 'hi' }], ...body }, headers)
    committed()
    const text = await res.text()
    outputs.push({ where, text: `${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}` })
    // Past every cooldown (and every token's expiry): the next request calls the upstreams again.
    clock.advance(2 * HOUR)
    return { status: res.status, text }
  }

  // Error bodies: the "other 4xx" path, auth failures (with forced refresh / re-exchange), rate limits, 5xx.
  const statuses = new Map<string, number>()
  for (const status of [400, 401, 403, 429, 500, 503]) {
    mode = { kind: 'status', status }
    for (const model of MODELS) {
      for (const stream of [false, true]) {
        const r = await send(`${status} from ${model}${stream ? ' (stream)' : ''}`, { model, stream })
        statuses.set(`${status}:${r.status}`, (statuses.get(`${status}:${r.status}`) ?? 0) + 1)
      }
    }
  }
  t.ok(statuses.get('400:400') !== undefined && statuses.get('500:502') !== undefined, `error paths exercised: ${[...statuses.keys()].join(', ')}`)
  t.ok(ep.refreshes > 0 && ep.exchanges > 1, 'OAuth tokens were refreshed and Copilot tokens re-exchanged: previous tokens exist')

  // In-stream error events of the translated families, before and after the first output.
  mode = { kind: 'early' }
  for (const model of ['claude/s1', 'resp/r1']) t.equal((await send(`early stream error from ${model}`, { model, stream: true })).status, 502)
  for (const model of ['claude/s1', 'resp/r1']) {
    let release = (): void => {}
    mode = { kind: 'late', release: new Promise<void>((resolve) => { release = resolve }) }
    // Headers come once the first text was translated: only then does the error event go out.
    const r = await send(`late stream error from ${model}`, { model, stream: true }, auth, release)
    t.equal(r.status, 200, r.text.slice(0, 600))
    t.match(r.text, /data: \{"error":/, `${model}: the stream ends with an error event`)
  }

  // Token endpoints that echo the refresh token / GitHub token they were sent.
  ep.failWith(400, (p) => `refresh token ${p.refresh_token ?? p.github_token} is not valid for ${p.client_id ?? 'copilot'}`)
  mode = { kind: 'status', status: 500 }
  for (const model of ['claude/s1', 'github-copilot/g1']) await send(`token endpoint echo for ${model}`, { model })
  t.ok(gw.logs.some((l) => l.includes('OAuth token refresh failed')), 'the refresh failure was logged')

  // A client presenting someone else's key, admin output, metrics.
  await send('wrong client key', { model: 'custom/c1' }, { authorization: `Bearer ${STATIC.fileKey}` })
  const admin = await gw.app.inject({ method: 'GET', url: '/admin/status', headers: { authorization: `Bearer ${STATIC.adminKey}` } })
  t.equal(admin.statusCode, 200)
  outputs.push({ where: 'admin status', text: admin.body })
  outputs.push({ where: 'metrics', text: (await gw.app.inject({ method: 'GET', url: '/metrics' })).body })

  const secrets = known()
  await gw.close()
  t.ok(gw.logs.length > 50, `logs were captured (${gw.logs.length} lines)`)
  outputs.push(...gw.logs.map((line, i) => ({ where: `log line ${i}`, text: line })))

  // The upstream texts did reach the client: masked, with the secret's last 4 characters.
  t.ok(outputs.some((o) => o.where.includes('from') && o.text.includes(`…${STATIC.configKey.slice(-4)}`)), 'a masked config key is in some error body')
  // Whole secrets, and the 16-character head or tail a truncated message could keep.
  const leaks = new Map<string, number>()
  for (const [s, kind] of secrets) {
    for (const o of outputs) {
      if (o.text.includes(s) || o.text.includes(s.slice(0, 16)) || o.text.includes(s.slice(-16))) {
        const key = `${kind} in ${o.where.startsWith('log line') ? 'the logs' : 'responses'}`
        leaks.set(key, (leaks.get(key) ?? 0) + 1)
      }
    }
  }
  t.ok(secrets.size >= 14, `${secrets.size} distinct secrets were echoed`)
  t.strictSame(Object.fromEntries(leaks), {}, `no secret in ${outputs.length} responses and log lines`)
})

t.test('the admin API needs the admin key when one is set', async (t) => {
  const gw = await startTestGateway({ config: { gateway: { adminKey: STATIC.adminKey } } })
  t.teardown(() => gw.close())
  const none = await gw.app.inject({ method: 'GET', url: '/admin/status' })
  t.equal(none.statusCode, 401)
  const wrong = await gw.app.inject({ method: 'GET', url: '/admin/status', headers: { authorization: 'Bearer nope-nope-nope' } })
  t.equal(wrong.statusCode, 401)
  const ok = await gw.app.inject({ method: 'GET', url: '/admin/status', headers: { authorization: `Bearer ${STATIC.adminKey}` } })
  t.equal(ok.statusCode, 200)
})
