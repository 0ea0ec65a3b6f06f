// Copilot through the gateway: the stored GitHub token is exchanged for a Copilot session token
// (credential resolver), whose endpoints.api is where the chat goes, with the editor headers.
import t, { type Test } from 'tap'
import { deadPort, startFakeUpstream, type FakeUpstream, type RecordedRequest, type Scripted } from '../../helpers/fake-upstream.ts'
import type { TestGateway } from '../../helpers/gateway.ts'
import { chatAnswer, startProviderGateway } from '../../helpers/provider-gateway.ts'
import { assemble, parseSse } from '../anthropic/sse.ts'

const GITHUB_TOKEN = 'gho_gatewayCopilotTest000000000000000000'
const COPILOT_TOKEN = 'tid=gw1;exp=4102444800;sku=copilot_individual;proxy-ep=proxy.individual.githubcopilot.com;8kp=1:abcdef'

const answer = chatAnswer(['copilot ', 'says hi'])

function copilot (req: RecordedRequest, api: string): Scripted {
  if (req.method === 'GET' && req.url === '/copilot_internal/v2/token') {
    if (req.headers.authorization !== `token ${GITHUB_TOKEN}`) return { status: 401, body: { message: 'Bad credentials' } }
    return { body: { token: COPILOT_TOKEN, expires_at: Math.floor(Date.now() / 1000) + 1800, refresh_in: 1500, endpoints: { api } } }
  }
  if (req.url !== '/chat/completions') return { status: 404, body: { error: { message: 'not found' } } }
  if (req.headers.authorization !== `Bearer ${COPILOT_TOKEN}`) return { status: 401, body: { error: { message: 'unauthorized' } } }
  if (req.headers['editor-version'] === undefined || req.headers['copilot-integration-id'] === undefined) return { status: 400, body: { error: { message: 'missing editor headers' } } }
  return answer(req)
}

async function setup (t: Test): Promise<{ gw: TestGateway, up: FakeUpstream }> {
  let api = ''
  const up = await startFakeUpstream((req) => copilot(req, api))
  api = up.url
  const gw = await startProviderGateway(t, {
    providers: {
      // Nothing listens on the configured base: the exchanged token's endpoints.api must win.
      'github-copilot': {
        baseUrl: `http://127.0.0.1:${await deadPort()}`, api: 'github-copilot', auth: 'token',
        oauth: { tokenUrl: `${up.url}/copilot_internal/v2/token` }, models: [{ id: 'gpt-4.1' }],
      },
    },
    model: { primary: 'github-copilot/gpt-4.1' },
    profiles: { 'github-copilot:github': { type: 'token', provider: 'github-copilot', token: GITHUB_TOKEN } },
    upstreams: [up],
  })
  return { gw, up }
}

t.test('Copilot chats reach endpoints.api with the exchanged token and editor headers, non-stream and stream', async (t) => {
  const { gw, up } = await setup(t)
  const res = await gw.chat({ model: 'github-copilot/gpt-4.1', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200)
  t.equal((await res.json()).choices[0].message.content, 'copilot says hi')
  t.equal(res.headers.get('x-rotor-profile'), 'github-copilot:github')
  const s = await gw.chat({ model: 'github-copilot/gpt-4.1', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  t.equal(assemble(parseSse(await s.text())).content, 'copilot says hi')
  const chats = up.requests.filter((r) => r.url === '/chat/completions')
  t.equal(chats.length, 2)
  t.equal(up.requests.filter((r) => r.url === '/copilot_internal/v2/token').length, 1, 'the Copilot token is exchanged once and reused')
  for (const r of chats) {
    t.equal(r.headers.authorization, `Bearer ${COPILOT_TOKEN}`)
    t.equal(r.headers['editor-version'], 'vscode/1.107.0')
    t.equal(r.headers['editor-plugin-version'], 'copilot-chat/0.35.0')
    t.equal(r.headers['copilot-integration-id'], 'vscode-chat')
    t.equal(r.headers['user-agent'], 'GitHubCopilotChat/0.35.0')
    t.equal(r.headers['openai-intent'], 'conversation-panel')
    t.equal(r.body.model, 'gpt-4.1')
  }
})
