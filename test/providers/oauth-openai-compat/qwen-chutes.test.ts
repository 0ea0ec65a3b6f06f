// Qwen Portal and Chutes: OpenAI-chat providers reached with OAuth access tokens through the
// openai-completions adapter. Qwen adds Qwen Code's headers and takes its base URL from the
// token's resource_url.
import t, { type Test } from 'tap'
import type { ModelDef } from '../../../src/config/types.ts'
import { createOpenAICompletionsAdapter } from '../../../src/providers/openai-completions.ts'
import { qwenResourceBase } from '../../../src/providers/qwen-portal.ts'
import type { AttemptCredential, AttemptRequest } from '../../../src/providers/types.ts'
import { attemptRequest, collect as drain, providerDef } from '../../helpers/attempt-request.ts'
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from '../../helpers/fake-upstream.ts'
import type { TestGateway } from '../../helpers/gateway.ts'
import { chatAnswer, startProviderGateway } from '../../helpers/provider-gateway.ts'
import { assemble, parseSse } from '../anthropic/sse.ts'

const QWEN_ACCESS = 'qwen-oauth-access-token-0001'
const CHUTES_ACCESS = 'chutes-oauth-access-token-0002'

const answer = chatAnswer(['streamed ', 'answer'], 'plain answer')

function expectQwenHeaders (t: Test, h: RecordedRequest['headers']): void {
  t.equal(h.authorization, `Bearer ${QWEN_ACCESS}`)
  t.match(h['user-agent'], /^QwenCode\/[\d.]+ \(\w+; \w+\)$/)
  t.equal(h['x-dashscope-useragent'], h['user-agent'])
  t.equal(h['x-dashscope-cachecontrol'], 'enable')
  t.equal(h['x-dashscope-authtype'], 'qwen-oauth')
  t.equal(h['content-type'], 'application/json')
}

// ---- adapter level --------------------------------------------------------------------------------

const adapter = createOpenAICompletionsAdapter()
const coder: ModelDef = {
  id: 'qwen3-coder-plus', name: 'Qwen3 Coder Plus', api: 'openai-completions', reasoning: false, input: ['text'],
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 1000000, maxTokens: 65536,
}

function qwenAttempt (baseUrl: string, extra?: Record<string, string>, providerId = 'qwen-portal', headers: Record<string, string> = {}): AttemptRequest {
  const provider = providerDef({ id: providerId, baseUrl, api: 'openai-completions', auth: 'oauth', headers, models: [coder] })
  const credential: AttemptCredential = { profileId: `${providerId}:default`, type: 'oauth', secret: QWEN_ACCESS, ...(extra !== undefined ? { extra } : {}) }
  const body = { model: 'qwen3-coder-plus', messages: [{ role: 'user', content: 'hi' }] }
  return attemptRequest({ provider, model: coder, credential, body })
}

t.test('a resource_url host becomes an https /v1 base; full URLs keep their scheme; /v1 is added once', async (t) => {
  t.equal(qwenResourceBase('portal.qwen.ai'), 'https://portal.qwen.ai/v1')
  t.equal(qwenResourceBase('https://portal.qwen.ai/'), 'https://portal.qwen.ai/v1')
  t.equal(qwenResourceBase('http://127.0.0.1:9999/v1'), 'http://127.0.0.1:9999/v1')
})

t.test('a Qwen credential with resourceUrl is sent to that host, with Qwen Code headers', async (t) => {
  const configured = await startFakeUpstream(answer)
  const resource = await startFakeUpstream(answer)
  t.teardown(async () => { await configured.close(); await resource.close() })
  await drain(await adapter.attempt(qwenAttempt(`${configured.url}/v1`, { resourceUrl: resource.url })))
  t.equal(configured.requests.length, 0)
  t.equal(resource.requests.length, 1)
  t.equal(resource.requests[0].url, '/v1/chat/completions')
  expectQwenHeaders(t, resource.requests[0].headers)

  await drain(await adapter.attempt(qwenAttempt(`${configured.url}/v1`)))
  t.equal(configured.requests.length, 1, 'without resourceUrl the configured base is used')
  expectQwenHeaders(t, configured.requests[0].headers)
})

t.test('other providers ignore resourceUrl and get no Qwen headers; config headers override Qwen defaults', async (t) => {
  const up = await startFakeUpstream(answer)
  const elsewhere = await startFakeUpstream(answer)
  t.teardown(async () => { await up.close(); await elsewhere.close() })
  await drain(await adapter.attempt(qwenAttempt(`${up.url}/v1`, { resourceUrl: elsewhere.url }, 'chutes')))
  t.equal(elsewhere.requests.length, 0)
  t.equal(up.requests[0].headers['x-dashscope-authtype'], undefined)
  await drain(await adapter.attempt(qwenAttempt(`${up.url}/v1`, undefined, 'qwen-portal', { 'User-Agent': 'custom/1' })))
  t.equal(up.requests[1].headers['user-agent'], 'custom/1')
  t.equal(up.requests[1].headers['x-dashscope-authtype'], 'qwen-oauth')
})

// ---- gateway level ---------------------------------------------------------------------------------

interface Setup { gw: TestGateway, up: FakeUpstream }

async function setup (t: Test): Promise<Setup> {
  const up = await startFakeUpstream(answer)
  const base = `${up.url}/v1`
  const gw = await startProviderGateway(t, {
    providers: {
      'qwen-portal': { baseUrl: base, api: 'openai-completions', auth: 'oauth', models: [{ id: 'qwen3-coder-plus' }] },
      chutes: { baseUrl: base, api: 'openai-completions', auth: 'oauth', models: [{ id: 'deepseek-ai/DeepSeek-R1', reasoning: true }] },
    },
    model: { primary: 'qwen-portal/qwen3-coder-plus' },
    profiles: {
      // The resource host is the same fake, so the request lands there whether or not the
      // credential resolver passes resourceUrl on as `extra`.
      'qwen-portal:default': { type: 'oauth', provider: 'qwen-portal', access: QWEN_ACCESS, refresh: 'qr', expires: Date.now() + 3600e3, resourceUrl: up.url },
      'chutes:default': { type: 'oauth', provider: 'chutes', access: CHUTES_ACCESS, refresh: 'cr', expires: Date.now() + 3600e3, clientId: 'cid_test' },
    },
    upstreams: [up],
  })
  return { gw, up }
}

t.test('Qwen Portal requests reach the upstream with the OAuth bearer and Qwen headers, non-stream and stream', async (t) => {
  const { gw, up } = await setup(t)
  const res = await gw.chat({ model: 'qwen-portal/qwen3-coder-plus', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200)
  t.equal((await res.json()).choices[0].message.content, 'plain answer')
  t.equal(res.headers.get('x-rotor-profile'), 'qwen-portal:default')
  const s = await gw.chat({ model: 'qwen-portal/qwen3-coder-plus', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  t.equal(s.headers.get('content-type')?.startsWith('text/event-stream'), true)
  t.equal(assemble(parseSse(await s.text())).content, 'streamed answer')
  t.equal(up.requests.length, 2)
  for (const r of up.requests) {
    t.equal(r.url, '/v1/chat/completions')
    expectQwenHeaders(t, r.headers)
    t.equal(r.body.model, 'qwen3-coder-plus')
  }
  t.equal(up.requests[1].headers.accept, 'text/event-stream')
})

t.test('Chutes requests carry the OAuth access token as a bearer, non-stream and stream', async (t) => {
  const { gw, up } = await setup(t)
  const res = await gw.chat({ model: 'chutes/deepseek-ai/DeepSeek-R1', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200)
  t.equal((await res.json()).choices[0].message.content, 'plain answer')
  const s = await gw.chat({ model: 'chutes/deepseek-ai/DeepSeek-R1', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  t.equal(assemble(parseSse(await s.text())).content, 'streamed answer')
  t.equal(up.requests.length, 2)
  for (const r of up.requests) {
    t.equal(r.url, '/v1/chat/completions')
    t.equal(r.headers.authorization, `Bearer ${CHUTES_ACCESS}`)
    t.equal(r.headers['x-dashscope-authtype'], undefined)
    t.equal(r.body.model, 'deepseek-ai/DeepSeek-R1')
  }
})
