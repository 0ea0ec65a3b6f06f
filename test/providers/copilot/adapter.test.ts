// GitHub Copilot adapter against a fake Copilot API that insists on the editor headers, given
// an already-exchanged Copilot token and its endpoints.api as `extra.baseUrl`.
import t from 'tap'
import type { ModelDef, ProviderDef } from '../../../src/config/types.ts'
import { createGitHubCopilotAdapter, initiator } from '../../../src/providers/github-copilot.ts'
import type { AttemptCredential, AttemptRequest } from '../../../src/providers/types.ts'
import { attemptRequest, collect, providerDef, success } from '../../helpers/attempt-request.ts'
import { sseChunk, startFakeUpstream, type FakeUpstream, type RecordedRequest, type Scripted } from '../../helpers/fake-upstream.ts'
import { chatAnswer } from '../../helpers/provider-gateway.ts'

const COPILOT_TOKEN = 'tid=abc123;exp=4102444800;sku=copilot_individual;proxy-ep=proxy.individual.githubcopilot.com;8kp=1:deadbeefcafe'
const adapter = createGitHubCopilotAdapter()

const gpt41: ModelDef = {
  id: 'gpt-4.1', name: 'GPT-4.1 (Copilot)', api: 'github-copilot', reasoning: false, input: ['text', 'image'],
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 16384,
}

function provider (baseUrl: string, headers: Record<string, string> = {}): ProviderDef {
  return providerDef({ id: 'github-copilot', baseUrl, api: 'github-copilot', auth: 'token', headers, envTokenVars: ['COPILOT_GITHUB_TOKEN'], models: [gpt41] })
}

function attempt (opts: { baseUrl: string, body: Record<string, unknown>, extra?: Record<string, string>, headers?: Record<string, string> }): AttemptRequest {
  const body: Record<string, unknown> = { model: 'github-copilot/gpt-4.1', ...opts.body }
  const credential: AttemptCredential = { profileId: 'github-copilot:github', type: 'token', secret: COPILOT_TOKEN, ...(opts.extra !== undefined ? { extra: opts.extra } : {}) }
  return attemptRequest({ provider: provider(opts.baseUrl, opts.headers), model: gpt41, credential, body })
}

/** Copilot's checks: the exchanged token and the editor identity, else 4xx like the real API. */
function copilotRules (req: RecordedRequest): Scripted | undefined {
  const h = req.headers
  if (h.authorization !== `Bearer ${COPILOT_TOKEN}`) return { status: 401, body: { error: { message: 'unauthorized: token expired', code: 'unauthorized' } } }
  const missing = ['editor-version', 'editor-plugin-version', 'copilot-integration-id', 'user-agent'].filter((k) => typeof h[k] !== 'string' || h[k] === '')
  if (missing.length > 0) return { status: 400, body: { error: { message: `missing ${missing.join(', ')}`, code: 'bad_request' } } }
  if (req.url !== '/chat/completions') return { status: 404, body: { error: { message: `no route ${req.url}` } } }
  return undefined
}

let up: FakeUpstream
let script: (req: RecordedRequest) => Scripted
t.beforeEach(async () => {
  script = chatAnswer(['Hi', ' there'])
  up = await startFakeUpstream((req) => copilotRules(req) ?? script(req))
})
t.afterEach(async () => { await up.close() })

const ask = { messages: [{ role: 'user', content: 'Hello' }] }

t.test('a non-stream chat goes to extra.baseUrl with the Copilot token and the editor headers', async (t) => {
  const r = await adapter.attempt(attempt({ baseUrl: 'http://127.0.0.1:9/unused', extra: { baseUrl: `${up.url}/` }, body: ask }))
  const body = JSON.parse(await collect(r))
  t.equal(body.choices[0].message.content, 'Hi there')
  const seen = up.requests[0]
  t.equal(seen.url, '/chat/completions')
  t.equal(seen.headers.authorization, `Bearer ${COPILOT_TOKEN}`)
  t.equal(seen.headers['editor-version'], 'vscode/1.107.0')
  t.equal(seen.headers['editor-plugin-version'], 'copilot-chat/0.35.0')
  t.equal(seen.headers['copilot-integration-id'], 'vscode-chat')
  t.equal(seen.headers['user-agent'], 'GitHubCopilotChat/0.35.0')
  t.equal(seen.headers['openai-intent'], 'conversation-panel')
  t.equal(seen.headers['x-initiator'], 'user')
  t.match(seen.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  t.equal(seen.headers['copilot-vision-request'], undefined)
  t.same(seen.body, { model: 'gpt-4.1', messages: ask.messages }, 'the model is rewritten to the upstream id')
})

t.test('a stream is passed through byte for byte', async (t) => {
  const r = success(await adapter.attempt(attempt({ baseUrl: up.url, body: { ...ask, stream: true } })))
  t.equal(r.contentType, 'text/event-stream')
  const text = await collect(r)
  t.equal(text, sseChunk('Hi', 'gpt-4.1') + sseChunk(' there', 'gpt-4.1') + 'data: [DONE]\n\n')
  t.equal(up.requests[0].headers.accept, 'text/event-stream')
  t.equal(up.requests[0].body.stream, true)
})

t.test('without extra.baseUrl the configured baseUrl is used', async (t) => {
  await collect(await adapter.attempt(attempt({ baseUrl: up.url, body: ask })))
  t.equal(up.requests.length, 1)
})

t.test('a follow-up after a tool result is an agent turn, and images ask for vision', async (t) => {
  await collect(await adapter.attempt(attempt({
    baseUrl: up.url,
    body: {
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
      ],
    },
  })))
  t.equal(up.requests[0].headers['x-initiator'], 'agent')
  t.equal(up.requests[0].headers['copilot-vision-request'], 'true')
  t.equal(initiator({ messages: [] }), 'user')
})

t.test('headers from config replace the built-in editor identity', async (t) => {
  await collect(await adapter.attempt(attempt({ baseUrl: up.url, body: ask, headers: { 'Editor-Version': 'vscode/1.200.0' } })))
  t.equal(up.requests[0].headers['editor-version'], 'vscode/1.200.0')
})

t.test('Copilot errors are classified: expired token → auth, unsupported model → next model, 429 → rate limit', async (t) => {
  script = () => ({ status: 400, body: { error: { message: 'The requested model is not supported.', code: 'model_not_supported' } } })
  t.match(await adapter.attempt(attempt({ baseUrl: up.url, body: ask })), { kind: 'model_not_found', status: 400 })
  script = () => ({ status: 429, headers: { 'retry-after': '30' }, body: { error: { message: 'rate limited' } } })
  t.match(await adapter.attempt(attempt({ baseUrl: up.url, body: ask })), { kind: 'failure', reason: 'rate_limit', retryAfterMs: 30_000 })
  const wrongToken = { ...attempt({ baseUrl: up.url, body: ask }), credential: { profileId: 'github-copilot:github', type: 'token' as const, secret: 'tid=stale;exp=1' } }
  t.match(await adapter.attempt(wrongToken), { kind: 'failure', reason: 'auth', status: 401 })
})
