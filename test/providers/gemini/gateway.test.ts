// The official openai SDK → rotor → fake Cloud Code Assist (Antigravity): chat, stream, tools
// over two turns, thinking, images, usage, and each upstream error class → the client's status
// or a failover to the fallback model.
import t, { type Test } from 'tap'
import OpenAI from 'openai'
import { DEFAULT_USAGE, googleError, startFakeCloudCode, textResponse, type FakeCloudCode } from '../../helpers/fake-cloudcode.ts'
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream.ts'
import type { TestGateway } from '../../helpers/gateway.ts'
import { chatAnswer, openaiClient, startProviderGateway, weatherTool } from '../../helpers/provider-gateway.ts'
import { until } from '../../helpers/wait.ts'

const OPENAI_KEY = 'sk-proj-antigravitytest-3c4d'
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

interface Setup { gw: TestGateway, cc: FakeCloudCode, openai: FakeUpstream, client: OpenAI, account: { access: string, refresh: string } }

async function setup (t: Test, opts: { expired?: boolean, fallback?: boolean } = {}): Promise<Setup> {
  const cc = await startFakeCloudCode()
  const openai = await startFakeUpstream(chatAnswer(['from openai']))
  const account = cc.seed({ expired: opts.expired })
  const gw = await startProviderGateway(t, {
    providers: {
      'google-antigravity': {
        baseUrl: cc.url,
        oauth: { tokenUrl: cc.tokenUrl },
        models: [
          { id: 'gemini-3-pro-high', reasoning: true, input: ['text', 'image'], contextWindow: 1048576, maxTokens: 65536 },
          { id: 'claude-sonnet-4-5-thinking', reasoning: true, input: ['text', 'image'], contextWindow: 200000, maxTokens: 64000 },
        ],
      },
      openai: { baseUrl: `${openai.url}/v1`, api: 'openai-completions', models: [{ id: 'gpt-5-mini' }] },
    },
    model: { primary: 'google-antigravity/gemini-3-pro-high', fallbacks: opts.fallback === false ? [] : ['openai/gpt-5-mini'] },
    models: { 'google-antigravity/gemini-3-pro-high': { alias: 'gem' } },
    profiles: {
      'google-antigravity:dev@example.com': {
        type: 'oauth', provider: 'google-antigravity', access: account.access, refresh: account.refresh,
        expires: opts.expired === true ? Date.now() - 60_000 : Date.now() + 3_600_000, email: 'dev@example.com', projectId: cc.project,
      },
      'openai:main': { type: 'api_key', provider: 'openai', key: OPENAI_KEY },
    },
    upstreams: [cc, openai],
  })
  return { gw, cc, openai, client: openaiClient(gw), account }
}

t.test('a non-stream chat reaches generateContent in the Cloud Code envelope and comes back as a chat.completion', async (t) => {
  const { client, cc } = await setup(t)
  const { data, response } = await client.chat.completions.create({
    model: 'gem',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi!' }],
    max_tokens: 300,
  }).withResponse()
  t.equal(response.headers.get('x-rotor-model'), 'google-antigravity/gemini-3-pro-high')
  t.equal(response.headers.get('x-rotor-profile'), 'google-antigravity:dev@example.com')
  t.equal(data.choices[0].message.content, 'Hello from Antigravity.')
  t.equal(data.choices[0].finish_reason, 'stop')
  t.same(data.usage, { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } })
  t.strictSame(cc.violations, [])
  const sent = cc.requests[0]
  t.equal(sent.path, '/v1internal:generateContent')
  t.match(sent.headers.authorization, /^Bearer ya29\.fake-/)
  t.equal(sent.body.project, cc.project)
  t.equal(sent.body.model, 'gemini-3-pro-high')
  t.strictSame(sent.body.request.contents, [{ role: 'user', parts: [{ text: 'Hi!' }] }])
  t.match(sent.body.request.systemInstruction.parts[0].text, /^You are Antigravity/)
  t.strictSame(sent.body.request.systemInstruction.parts[1], { text: 'Be brief.' })
  t.equal(sent.body.request.generationConfig.maxOutputTokens, 300)
})

t.test('a stream is translated chunk by chunk, with usage (cached and reasoning tokens) when asked', async (t) => {
  const { client, cc } = await setup(t)
  cc.reply({
    kind: 'sse',
    chunkSize: 17,
    events: [
      { candidates: [{ content: { role: 'model', parts: [{ thought: true, text: 'Thinking about it.' }] } }] },
      textResponse(['Hel']),
      textResponse(['lo!'], 'STOP', { promptTokenCount: 120, cachedContentTokenCount: 100, candidatesTokenCount: 3, thoughtsTokenCount: 9, totalTokenCount: 132 }),
    ],
  })
  const stream = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } })
  let text = ''
  let reasoning = ''
  let finish: string | null = null
  let usage: unknown
  for await (const chunk of stream) {
    const c = chunk.choices[0] as (typeof chunk.choices)[0] & { delta: { reasoning_content?: string } } | undefined
    text += c?.delta.content ?? ''
    reasoning += c?.delta.reasoning_content ?? ''
    if (c?.finish_reason != null) finish = c.finish_reason
    if (chunk.usage != null) usage = chunk.usage
  }
  t.equal(text, 'Hello!')
  t.equal(reasoning, 'Thinking about it.')
  t.equal(finish, 'stop')
  t.same(usage, { prompt_tokens: 120, completion_tokens: 12, total_tokens: 132, prompt_tokens_details: { cached_tokens: 100 }, completion_tokens_details: { reasoning_tokens: 9 } })
  t.equal(cc.requests[0].path, '/v1internal:streamGenerateContent')
  t.strictSame(cc.requests[0].body.request.generationConfig, { thinkingConfig: { includeThoughts: true } })
  t.strictSame(cc.violations, [])
})

t.test('tools over two turns: the call comes back with an id and signature, the tool result goes back as functionResponse', async (t) => {
  const { client, cc } = await setup(t)
  cc.reply({
    kind: 'json',
    body: { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2lnbmF0dXJlLW9uZQ==' }] }, finishReason: 'STOP' }], usageMetadata: DEFAULT_USAGE },
  })
  const tools = [{ ...weatherTool, function: { ...weatherTool.function, parameters: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { city: { type: 'string', minLength: 1 } }, required: ['city'], additionalProperties: false } } }]
  const first = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools })
  const call = first.choices[0].message.tool_calls?.[0] as { id: string, function: { name: string, arguments: string }, extra_content?: unknown } | undefined
  t.equal(first.choices[0].finish_reason, 'tool_calls')
  t.match(call?.id, /^call_/)
  t.equal(call?.function.arguments, '{"city":"Paris"}')
  t.same(call?.extra_content, { google: { thought_signature: 'c2lnbmF0dXJlLW9uZQ==' } })
  t.strictSame(cc.requests[0].body.request.tools[0].functionDeclarations[0].parameters, {
    type: 'object', properties: { city: { type: 'string', description: 'minLength: 1' } }, required: ['city'], description: 'no other properties',
  }, 'the schema reached the API sanitised')

  cc.reply({ kind: 'json', body: textResponse(['It is sunny in Paris.'], 'STOP', DEFAULT_USAGE) })
  const second = await client.chat.completions.create({
    model: 'gem',
    tools,
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      first.choices[0].message as OpenAI.ChatCompletionMessageParam,
      { role: 'tool', tool_call_id: call?.id ?? '', content: '22°C, sunny' },
    ],
  })
  t.equal(second.choices[0].message.content, 'It is sunny in Paris.')
  t.strictSame(cc.requests[1].body.request.contents, [
    { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
    { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2lnbmF0dXJlLW9uZQ==' }] },
    { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '22°C, sunny' } } }] },
  ])
  t.strictSame(cc.violations, [])
})

t.test('reasoning_effort sets the thinking level, and a Claude thinking model gets a budget and its signed thinking back', async (t) => {
  const { client, cc } = await setup(t)
  await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'Hard question' }], reasoning_effort: 'low' })
  t.strictSame(cc.requests[0].body.request.generationConfig.thinkingConfig, { includeThoughts: true, thinkingLevel: 'LOW' })

  cc.reply({
    kind: 'sse',
    events: [
      { candidates: [{ content: { role: 'model', parts: [{ thought: true, text: 'Let me see.' }] } }] },
      { candidates: [{ content: { role: 'model', parts: [{ thought: true, text: '', thoughtSignature: 'Q2xhdWRlU2ln' }] } }] },
      textResponse(['42.'], 'STOP', DEFAULT_USAGE),
    ],
  })
  const res = await client.chat.completions.create({ model: 'google-antigravity/claude-sonnet-4-5-thinking', messages: [{ role: 'user', content: 'Answer?' }], reasoning_effort: 'medium', max_tokens: 20000, stream: true })
  const blocks: unknown[] = []
  let text = ''
  for await (const chunk of res) {
    const d = chunk.choices[0]?.delta as { content?: string, thinking_blocks?: unknown[] } | undefined
    text += d?.content ?? ''
    blocks.push(...(d?.thinking_blocks ?? []))
  }
  t.equal(text, '42.')
  t.strictSame(blocks, [{ type: 'thinking', thinking: 'Let me see.', signature: 'Q2xhdWRlU2ln' }])
  const sent = cc.requests[1]
  t.strictSame(sent.body.request.generationConfig, { maxOutputTokens: 20000, thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 } })
  t.equal(sent.headers['anthropic-beta'], 'interleaved-thinking-2025-05-14')
  t.strictSame(cc.violations, [])
})

t.test('an image goes up as inlineData; a remote image URL is a 400 without an upstream call', async (t) => {
  const { client, cc } = await setup(t)
  await client.chat.completions.create({
    model: 'gem',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] }],
  })
  t.strictSame(cc.requests[0].body.request.contents[0].parts, [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: PNG } }])
  await t.rejects(client.chat.completions.create({
    model: 'gem',
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
  }), { status: 400, message: /base64 data: URL/ })
  t.equal(cc.requests.length, 1)
})

const RATE_LIMITED = googleError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', [
  { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'cloudcode-pa.googleapis.com' },
  { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' },
])
const QUOTA = googleError(429, 'RESOURCE_EXHAUSTED', 'You have exhausted your capacity on this model. Your quota will reset after 3h2m5s.', [
  { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'QUOTA_EXHAUSTED', domain: 'cloudcode-pa.googleapis.com', metadata: { quotaResetDelay: '3h2m5s', model: 'gemini-3-pro-high' } },
])

t.test('each upstream error class reaches the client as the right status, or fails over to the fallback', async (t) => {
  const cases: Array<{ name: string, status: number, body: unknown, times?: number, expect: { status: number, model?: string } }> = [
    { name: '429 RESOURCE_EXHAUSTED (30 s) fails over', status: 429, body: RATE_LIMITED, expect: { status: 200, model: 'openai/gpt-5-mini' } },
    { name: '429 QUOTA_EXHAUSTED fails over', status: 429, body: QUOTA, expect: { status: 200, model: 'openai/gpt-5-mini' } },
    // A rejected oauth token is refreshed once and retried (docs/routing.md); a second 403 cools the profile.
    { name: '403 PERMISSION_DENIED twice fails over', status: 403, times: 2, body: googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission'), expect: { status: 200, model: 'openai/gpt-5-mini' } },
    { name: '404 NOT_FOUND moves to the next model', status: 404, body: googleError(404, 'NOT_FOUND', 'Requested entity was not found.'), expect: { status: 200, model: 'openai/gpt-5-mini' } },
    { name: '503 UNAVAILABLE fails over', status: 503, body: googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'), expect: { status: 200, model: 'openai/gpt-5-mini' } },
    { name: '529 fails over', status: 529, body: googleError(529, 'UNAVAILABLE', 'Overloaded'), expect: { status: 200, model: 'openai/gpt-5-mini' } },
    { name: '400 INVALID_ARGUMENT goes back to the client', status: 400, body: googleError(400, 'INVALID_ARGUMENT', 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).'), expect: { status: 400 } },
  ]
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const { gw, cc, openai } = await setup(t)
      for (let i = 0; i < (c.times ?? 1); i++) cc.reply({ kind: 'error', status: c.status, body: c.body })
      const res = await gw.chat({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] })
      const body = await res.json() as { error?: { message: string } }
      t.equal(cc.requests.length, c.times ?? 1, 'upstream attempts on the Antigravity profile')
      t.equal(res.status, c.expect.status, JSON.stringify(body))
      if (c.expect.model !== undefined) {
        t.equal(res.headers.get('x-rotor-model'), c.expect.model)
        t.equal(openai.requests.length, 1)
      } else {
        t.equal(openai.requests.length, 0, 'no failover for a client error')
        t.match(body.error?.message, /INVALID_ARGUMENT.*input token count/)
      }
    })
  }
})

t.test('without a fallback, a quota answer is a 429 whose Retry-After is the quota reset time', async (t) => {
  const { gw, cc } = await setup(t, { fallback: false })
  cc.reply({ kind: 'error', status: 429, body: QUOTA })
  const res = await gw.chat({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 429)
  t.ok(Number(res.headers.get('retry-after')) >= 3 * 3600 + 2 * 60, `Retry-After ${res.headers.get('retry-after')} covers the 3h2m5s reset`)
  const again = await gw.chat({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(again.status, 429, 'the model stays cooled on this profile')
  t.equal(cc.requests.length, 1, 'no second upstream call while the quota is out')
})

t.test('a 401 refreshes the token once (client secret sent, refresh token kept) and the same profile answers', async (t) => {
  const { gw, cc, account } = await setup(t)
  cc.reply({ kind: 'error', status: 401, body: googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.') })
  const res = await gw.chat({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'google-antigravity/gemini-3-pro-high')
  t.equal(res.headers.get('x-rotor-attempts'), '2')
  t.equal(cc.tokenCalls, 1)
  t.equal(cc.grants[0].client_secret, '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')
  t.equal(cc.grants[0].refresh_token, account.refresh)
  t.not(cc.requests[1].headers.authorization, `Bearer ${account.access}`)
  t.ok(cc.isCurrent(String(cc.requests[1].headers.authorization).slice(7)))
})

t.test('an expired token is refreshed before the call; the stored credential keeps its refresh token and project', async (t) => {
  const { gw, cc, account } = await setup(t, { expired: true })
  const res = await gw.chat({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200, await res.clone().text())
  t.equal(cc.tokenCalls, 1)
  const { readFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const stored = JSON.parse(readFileSync(join(gw.home, 'agents', 'default', 'agent', 'auth-profiles.json'), 'utf8')).profiles['google-antigravity:dev@example.com']
  t.equal(stored.refresh, account.refresh, 'Google did not rotate it: the old refresh token stays')
  t.equal(stored.projectId, cc.project)
  t.ok(cc.isCurrent(stored.access))
})

t.test('an error event before any output fails over, and the client sees one clean stream', async (t) => {
  const { client, cc, openai } = await setup(t)
  cc.reply({ kind: 'sse', events: [JSON.stringify(googleError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted', [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '20s' }]))] })
  const { data, response } = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }], stream: true }).withResponse()
  let text = ''
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? ''
  t.equal(response.headers.get('x-rotor-model'), 'openai/gpt-5-mini')
  t.equal(text, 'from openai')
  t.equal(openai.requests.length, 1)
})

t.test('a stream cut after output ends, for the client, with an error event and no [DONE]', async (t) => {
  const { gw, cc } = await setup(t)
  cc.reply({ kind: 'sse', events: [textResponse(['Once upon']), textResponse([' a time'])], cutAfter: 1 })
  const res = await gw.chat({ model: 'gem', stream: true, messages: [{ role: 'user', content: 'story' }] })
  t.equal(res.status, 200)
  const text = await res.text()
  t.match(text, /"content":"Once upon"/)
  t.match(text.split('\n\n').filter(Boolean).at(-1) ?? '', /^data: \{"error":\{/)
  t.notMatch(text, /\[DONE\]/)
})

t.test('a profile without a project id is not sent upstream: it fails as auth and the fallback answers', async (t) => {
  const cc = await startFakeCloudCode()
  const openai = await startFakeUpstream(chatAnswer(['from openai']))
  const account = cc.seed()
  const gw = await startProviderGateway(t, {
    providers: {
      'google-antigravity': { baseUrl: cc.url, oauth: { tokenUrl: cc.tokenUrl } },
      openai: { baseUrl: `${openai.url}/v1`, api: 'openai-completions', models: [{ id: 'gpt-5-mini' }] },
    },
    model: { primary: 'google-antigravity/gemini-3-flash', fallbacks: ['openai/gpt-5-mini'] },
    profiles: {
      'google-antigravity:old': { type: 'oauth', provider: 'google-antigravity', access: account.access, refresh: account.refresh, expires: Date.now() + 3_600_000 },
      'openai:main': { type: 'api_key', provider: 'openai', key: OPENAI_KEY },
    },
    upstreams: [cc, openai],
  })
  const res = await gw.chat({ model: 'google-antigravity/gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'openai/gpt-5-mini')
  t.equal(cc.requests.length, 0)
})

t.test('an exhausted quota on one model leaves the account\'s other models usable (quotas are per model)', async (t) => {
  const { gw, cc } = await setup(t, { fallback: false })
  cc.reply({ kind: 'error', status: 429, body: QUOTA })
  t.equal((await gw.chat({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] })).status, 429)
  const other = await gw.chat({ model: 'google-antigravity/claude-sonnet-4-5-thinking', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(other.status, 200)
  t.equal(other.headers.get('x-rotor-profile'), 'google-antigravity:dev@example.com')
  t.equal(cc.requests.at(-1)?.body.model, 'claude-sonnet-4-5-thinking')
})

t.test('an exhausted quota reported mid-stream cools only that model until its reset, as it would before any output', async (t) => {
  const { gw, cc } = await setup(t, { fallback: false })
  const profile = 'google-antigravity:dev@example.com'
  const release = Promise.withResolvers<void>()
  cc.reply({ kind: 'sse', events: [textResponse(['Once upon']), JSON.stringify(QUOTA)], gate: { after: 1, release: release.promise } })
  const before = Date.now()
  const res = await gw.chat({ model: 'gem', stream: true, messages: [{ role: 'user', content: 'story' }] })
  t.equal(res.status, 200, 'committed with the first output')
  release.resolve()
  const text = await res.text()
  t.match(text, /"content":"Once upon"/)
  t.match(text.split('\n\n').filter(Boolean).at(-1) ?? '', /^data: \{"error":\{/, 'the stream ends with the error event')
  // The failure is recorded once the body is done; wait for it, bounded.
  await until(async () => (await gw.store.readStats('default', [profile])).get(profile)?.errorCount === 1, 5000, 'the late error was recorded')
  const stats = (await gw.store.readStats('default', [profile])).get(profile)
  t.equal(stats?.disabledUntil, undefined, 'no billing disable of the whole profile')
  t.equal(stats?.cooldownUntil, undefined, 'no profile-wide cooldown')
  const until3h = stats?.modelCooldowns?.['gemini-3-pro-high']?.until ?? 0
  t.ok(until3h >= before + (3 * 3600 + 2 * 60 + 5) * 1000, 'the model cools until the quota reset (3h2m5s)')
  const other = await gw.chat({ model: 'google-antigravity/claude-sonnet-4-5-thinking', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(other.status, 200, 'the account\'s other models still answer')
})
