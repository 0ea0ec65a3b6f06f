// Fuzzes a spawned `rotor serve` with hostile client input (request bodies, model names,
// headers, admin URLs, raw HTTP) in front of a well-behaved loopback upstream. Properties,
// for every response: never a 5xx (the input is the client's fault, the upstream never
// fails), an error is OpenAI-shaped, x-request-id is set, chat answers carry
// x-rotor-attempts; no secret in any response, upstream request or log line; unusable model
// names never reach the upstream; the process is alive at the end.
//
// Seeded and bounded: FUZZ_SEED picks another sample, FUZZ_SCALE multiplies the runs (and
// the time caps) for a longer session. Counts per class are printed as test comments.
import t from 'tap'
import fc from 'fast-check'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnGateway, type SpawnedGateway } from '../helpers/spawn-gateway.ts'
import { openAIError, REQUEST_ID } from '../helpers/openai-error.ts'
import { rawExchange, type RawResponse } from '../helpers/raw-http.ts'
import { adminCase, chatBody, headerCase, modelName, rawRequest, type AdminCase, type HeaderCase } from './arbitraries.ts'
import { startWellBehavedUpstream } from './well-behaved-upstream.ts'

const SEED = Number(process.env.FUZZ_SEED ?? 20260301)
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1))

const SECRETS = {
  clientKey: 'rotor-client-fuzz-7f3a9c2e51d0',
  adminKey: 'rotor-admin-fuzz-41be0d77aa93',
  fakeA: 'sk-fake-fuzz-aaaaaaaaaaaa1111',
  fakeB: 'sk-fake-fuzz-bbbbbbbbbbbb2222',
  other: 'sk-other-fuzz-xxxxxxxxxxx3333',
  openrouter: 'sk-or-v1-fuzzfuzzfuzzfuzz4444',
  anthropic: 'sk-ant-api03-fuzz-cccccccccc5555',
  responses: 'sk-proj-fuzz-dddddddddddd6666',
} as const
const SECRET_VALUES = Object.values(SECRETS)

// Far beyond any answer from a loopback fake; only a hung request gets near it.
const HANG_MS = 10_000

const UNUSABLE_MODEL = /[\u0000-\u001f\u007f-\u009f]/

interface ClassStats {
  requests: number
  failures: number
  noResponse: number
  hung: number
  statuses: Record<string, number>
  examples: string[]
}

function leakedSecret (text: string): string | undefined {
  return SECRET_VALUES.find((s) => text.includes(s))
}

function chatRequest (body: Buffer, headers: Record<string, string> = {}): Buffer {
  const lines = [
    'POST /v1/chat/completions HTTP/1.1', 'Host: rotor', 'Connection: close',
    `Authorization: Bearer ${SECRETS.clientKey}`, 'Content-Type: application/json', `Content-Length: ${body.length}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ]
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body])
}

function headerRequest (c: HeaderCase): Buffer {
  const body = Buffer.from(JSON.stringify({ model: c.model, stream: c.stream, messages: [{ role: 'user', content: 'hi' }] }))
  const lines = ['POST /v1/chat/completions HTTP/1.1', 'Host: rotor', 'Connection: close', `Content-Length: ${body.length}`]
  if (c.auth !== undefined) lines.push(`Authorization: ${c.auth}`)
  if (c.contentType !== undefined) lines.push(`Content-Type: ${c.contentType}`)
  if (c.requestId !== undefined) lines.push(`X-Request-Id: ${c.requestId}`)
  if (c.session !== undefined) lines.push(`X-Rotor-Session: ${c.session}`)
  for (const [name, value] of c.extra) lines.push(`${name}: ${value}`)
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body])
}

function adminRequest (c: AdminCase): Buffer {
  const body = c.body === undefined ? undefined : Buffer.from(c.body)
  const lines = [`${c.method} ${c.path} HTTP/1.1`, 'Host: rotor', 'Connection: close']
  if (c.auth === 'admin') lines.push(`Authorization: Bearer ${SECRETS.adminKey}`)
  if (c.auth === 'wrong') lines.push(`Authorization: Bearer ${SECRETS.adminKey.slice(0, -1)}x`)
  if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${body.length}`)
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)])
}

/** Every property a single response must hold; an empty list means it passed. */
function problemsOf (res: RawResponse, opts: { chat: boolean, head: boolean }): string[] {
  const problems: string[] = []
  if (res.status === 0) return ['no response']
  if (res.status >= 500) problems.push(`status ${res.status}`)
  if (!REQUEST_ID.test(res.headers['x-request-id'] ?? '')) problems.push('no x-request-id')
  // A HEAD answer has headers only.
  if (res.status >= 400 && !opts.head && openAIError(res.body) === undefined) problems.push(`error body not OpenAI-shaped: ${res.body.slice(0, 120)}`)
  // Answers from the HTTP parser's error handler carry no Date and never reached a route.
  if (opts.chat && res.headers.date !== undefined) {
    if (!/^\d+$/.test(res.headers['x-rotor-attempts'] ?? '')) problems.push('no x-rotor-attempts')
    if (!/^\d+\.\d{3}$/.test(res.headers['x-rotor-overhead-ms'] ?? '')) problems.push('no x-rotor-overhead-ms')
  }
  const secret = leakedSecret(res.raw)
  if (secret !== undefined) problems.push(`secret in response: ${secret.slice(0, 8)}…`)
  return problems
}

t.test('hostile client input never gets a 5xx, a misshapen error, or a secret, and rotor stays up', async (t) => {
  const up = await startWellBehavedUpstream()
  t.teardown(() => up.close())
  const home = t.testdir({})
  const baseUrl = `${up.url}/v1`
  writeFileSync(join(home, 'rotor.json'), JSON.stringify({
    logging: { level: 'debug' },
    gateway: {
      host: '127.0.0.1', port: 0, adminKey: SECRETS.adminKey, bodyLimitBytes: 65_536,
      clients: [{ name: 'fuzz', key: SECRETS.clientKey, agent: 'default' }],
    },
    models: {
      mode: 'replace',
      providers: {
        fake: { baseUrl, api: 'openai-completions', models: [{ id: 'm1' }, { id: 'm2' }] },
        other: { baseUrl, api: 'openai-completions', models: [{ id: 'o1' }] },
        openrouter: { baseUrl, api: 'openai-completions', models: [] },
        anth: { baseUrl, api: 'anthropic-messages', models: [{ id: 'claude' }] },
        resp: { baseUrl, api: 'openai-responses', models: [{ id: 'gpt' }] },
      },
    },
    agents: { defaults: { model: { primary: 'fake/m1', fallbacks: ['other/o1'] }, models: { 'fake/m1': { alias: 'one' } } } },
  }))
  const agentDir = join(home, 'agents', 'default', 'agent')
  mkdirSync(agentDir, { recursive: true })
  const profile = (provider: string, key: string): unknown => ({ type: 'api_key', provider, key })
  writeFileSync(join(agentDir, 'auth-profiles.json'), JSON.stringify({
    version: 1,
    profiles: {
      'fake:a': profile('fake', SECRETS.fakeA), 'fake:b': profile('fake', SECRETS.fakeB), 'other:x': profile('other', SECRETS.other),
      'openrouter:a': profile('openrouter', SECRETS.openrouter), 'anth:a': profile('anth', SECRETS.anthropic), 'resp:a': profile('resp', SECRETS.responses),
    },
  }), { mode: 0o600 })

  const gw: SpawnedGateway = await spawnGateway([], { PATH: process.env.PATH, HOME: home, ROTOR_HOME: home })
  t.teardown(() => gw.stop())
  const stderr: string[] = []
  gw.child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString('utf8')))

  const stats: Record<string, ClassStats> = {}
  async function fuzzClass<T> (name: string, arb: fc.Arbitrary<T>, runs: number, capMs: number, toBytes: (value: T) => Buffer, opts: { chat: boolean, halfClose?: boolean }): Promise<void> {
    const s: ClassStats = stats[name] = { requests: 0, failures: 0, noResponse: 0, hung: 0, statuses: {}, examples: [] }
    const started = performance.now()
    const values = fc.sample(arb, { seed: SEED + Object.keys(stats).length, numRuns: runs * SCALE })
    for (const value of values) {
      if (performance.now() - started > capMs * SCALE) break
      const bytes = toBytes(value)
      s.requests++
      let res: RawResponse
      try {
        res = await rawExchange(gw.port, bytes, HANG_MS, { halfClose: opts.halfClose })
      } catch {
        // A hung request is a failure; a few of them end the class rather than the budget.
        s.failures++
        s.hung++
        if (s.examples.length < 5) s.examples.push(`no answer within ${HANG_MS} ms ← ${JSON.stringify(bytes.toString('latin1')).slice(0, 300)}`)
        if (s.hung >= 3) break
        continue
      }
      s.statuses[res.status] = (s.statuses[res.status] ?? 0) + 1
      if (res.status === 0) s.noResponse++
      const problems = problemsOf(res, { chat: opts.chat, head: bytes.subarray(0, 5).toString('latin1') === 'HEAD ' })
      if (problems.length > 0) {
        s.failures++
        if (s.examples.length < 5) s.examples.push(`${problems.join('; ')} ← ${JSON.stringify(bytes.toString('latin1')).slice(0, 300)}`)
      }
    }
  }

  await fuzzClass('bodies', chatBody, 800, 8000, (body) => chatRequest(body), { chat: true })
  await fuzzClass('models', fc.tuple(modelName, fc.boolean()), 600, 6000,
    ([model, stream]) => chatRequest(Buffer.from(JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }))), { chat: true })
  await fuzzClass('headers', headerCase(SECRETS.clientKey), 500, 5000, headerRequest, { chat: true })
  await fuzzClass('admin', adminCase, 500, 5000, adminRequest, { chat: false })
  // Half-closed, so a request that announces more bytes than it sends ends instead of waiting.
  await fuzzClass('raw', rawRequest(SECRETS.clientKey), 300, 4000, (bytes) => bytes, { chat: false, halfClose: true })

  // The detector itself can fail: the requests sent carry the client key it looks for.
  t.equal(leakedSecret(chatRequest(Buffer.from('{}')).toString('latin1')), SECRETS.clientKey, 'the secret detector finds a key')
  const health = await fetch(`http://127.0.0.1:${gw.port}/healthz`)
  const logLines = [...gw.stdout, ...stderr.join('').split('\n')].filter((l) => l.trim() !== '')
  const leakedLines = logLines.filter((l) => leakedSecret(l) !== undefined)
  const errorLines = logLines.filter((l) => /"level":(50|60)/.test(l))
  const upstreamLeaks = up.requests.filter((r) => [SECRETS.clientKey, SECRETS.adminKey].some((s) => r.raw.includes(s) || JSON.stringify(r.headers).includes(s)))
  const unusableUpstream = up.requests.filter((r) => typeof r.body.model === 'string' && (UNUSABLE_MODEL.test(r.body.model) || !r.body.model.isWellFormed()))

  for (const [name, s] of Object.entries(stats)) {
    t.comment(`${name}: ${s.requests} requests, ${s.failures} failures, ${s.hung} hung, ${s.noResponse} closed without an answer, statuses ${JSON.stringify(s.statuses)}`)
    t.equal(s.failures, 0, `${name}: every response holds the properties\n${s.examples.join('\n')}`)
    t.ok(s.requests >= 50, `${name}: enough requests ran (${s.requests})`)
  }
  t.comment(`upstream requests ${up.requests.length}; log lines ${logLines.length}; secrets in logs ${leakedLines.length}; error log lines ${errorLines.length}`)
  t.strictSame(leakedLines.map((l) => l.slice(0, 200)), [], 'no secret in any log line')
  t.strictSame(errorLines.map((l) => l.slice(0, 300)), [], 'no request logged as a server fault')
  t.equal(upstreamLeaks.length, 0, 'the client and admin keys never reach an upstream')
  t.equal(unusableUpstream.length, 0, 'no unusable model name reached an upstream')
  t.equal(health.status, 200, 'the gateway still answers')
  t.equal(gw.child.exitCode, null, 'the gateway process is alive')
  t.equal(gw.child.signalCode, null)
})
