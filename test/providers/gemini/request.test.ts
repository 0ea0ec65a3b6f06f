// OpenAI chat bodies → the Cloud Code Assist envelope: roles, multi-turn tools, signatures,
// images, tool_choice, generation config, thinking per model family, and what is refused.
import t from 'tap'
import type { ModelDef } from '../../../src/config/types.ts'
import { SKIP_SIGNATURE } from '../../../src/providers/gemini/messages.ts'
import { ANTIGRAVITY_IDENTITY, toCloudCodeRequest, type CloudCodeRequest } from '../../../src/providers/gemini/request.ts'
import { checkEnvelope } from '../../helpers/cloudcode-rules.ts'

function model (id: string, reasoning = true, maxTokens = 65536): ModelDef {
  return { id, name: id, api: 'google-gemini-cli', reasoning, input: ['text', 'image'], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 1048576, maxTokens }
}
const GEMINI = model('gemini-3-pro-high')
const FLASH = model('gemini-3-flash')
const CLAUDE = model('claude-sonnet-4-5-thinking', true, 64000)
const OPTS = { projectId: 'proj-1', requestId: 'agent-1767225600000-abc', profileId: 'google-antigravity:dev@example.com' }

function build (body: Record<string, unknown>, m = GEMINI): CloudCodeRequest {
  const r = toCloudCodeRequest(body, m, OPTS)
  if (r.kind !== 'ok') throw new Error(r.message)
  // Every translated body must pass the fake API's checks.
  const { problems } = checkEnvelope(r.request, 'proj-1')
  if (problems.length > 0) throw new Error(`the API would refuse it: ${problems.join('; ')}`)
  return r.request
}
function invalid (body: Record<string, unknown>, m = GEMINI): string {
  const r = toCloudCodeRequest(body, m, OPTS)
  return r.kind === 'invalid' ? r.message : 'accepted'
}

const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }

t.test('the envelope carries project, model, agent request type and a session id stable per conversation', async (t) => {
  const a = build({ messages: [{ role: 'user', content: 'Hello' }] })
  t.equal(a.project, 'proj-1')
  t.equal(a.model, 'gemini-3-pro-high')
  t.equal(a.requestType, 'agent')
  t.equal(a.userAgent, 'antigravity')
  t.equal(a.requestId, OPTS.requestId)
  t.match(a.request.sessionId, /^-\d+$/)
  const b = build({ messages: [{ role: 'user', content: 'Hello' }, { role: 'assistant', content: 'Hi' }, { role: 'user', content: 'More' }] })
  t.equal(b.request.sessionId, a.request.sessionId, 'same first user turn, same session')
  t.not(build({ messages: [{ role: 'user', content: 'Other' }] }).request.sessionId, a.request.sessionId)
})

t.test('system and developer messages follow the Antigravity identity; roles become user/model and merge', async (t) => {
  const r = build({
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
      { role: 'user', content: 'one' },
      { role: 'user', content: 'two' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'three' },
    ],
  })
  t.strictSame(r.request.systemInstruction, { role: 'user', parts: [{ text: ANTIGRAVITY_IDENTITY }, { text: 'Be brief.' }, { text: 'Use metric units.' }] })
  t.strictSame(r.request.contents, [
    { role: 'user', parts: [{ text: 'one' }, { text: 'two' }] },
    { role: 'model', parts: [{ text: 'ok' }] },
    { role: 'user', parts: [{ text: 'three' }] },
  ])
})

t.test('parallel tool calls and their results: names resolved from the ids, responses first in one user turn', async (t) => {
  const r = build({
    tools: [weather],
    messages: [
      { role: 'user', content: 'Paris and Rome?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'U0lH' } } },
          { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: 'sunny' },
      { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: 'rainy' }] },
      { role: 'user', content: 'Thanks' },
    ],
  })
  t.strictSame(r.request.contents.slice(1), [
    { role: 'model', parts: [
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'U0lH' },
      { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
    ] },
    { role: 'user', parts: [
      { functionResponse: { name: 'get_weather', response: { output: 'sunny' } } },
      { functionResponse: { name: 'get_weather', response: { output: 'rainy' } } },
      { text: 'Thanks' },
    ] },
  ])
})

t.test('a Gemini 3 function call replayed without its signature gets the skip value; Claude models get call ids instead', async (t) => {
  const turn = [
    { role: 'user', content: 'Paris?' },
    { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
  ]
  const gemini = build({ tools: [weather], messages: turn })
  t.strictSame(gemini.request.contents[1].parts[1], { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SKIP_SIGNATURE })
  const claude = build({ tools: [weather], messages: turn }, CLAUDE)
  t.strictSame(claude.request.contents[1].parts[1], { functionCall: { name: 'get_weather', args: { city: 'Paris' }, id: 'toolu_1' } })
  t.strictSame(claude.request.contents[2].parts[0], { functionResponse: { name: 'get_weather', response: { output: 'sunny' }, id: 'toolu_1' } })
})

t.test('signed thinking blocks are replayed as thought parts; unsigned reasoning is not sent', async (t) => {
  const r = build({
    messages: [
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'A', reasoning_content: 'hmm', thinking_blocks: [{ type: 'thinking', thinking: 'hmm', signature: 'c2ln' }, { type: 'thinking', thinking: 'lost', signature: '' }] },
      { role: 'user', content: 'Q2' },
    ],
  }, CLAUDE)
  t.strictSame(r.request.contents[1], { role: 'model', parts: [{ thought: true, text: 'hmm', thoughtSignature: 'c2ln' }, { text: 'A' }] })
})

t.test('tool_choice maps to the function calling mode; Claude models validate in auto mode', async (t) => {
  const cfg = (choice: unknown, m = GEMINI): unknown => build({ tools: [weather], tool_choice: choice, messages: [{ role: 'user', content: 'x' }] }, m).request.toolConfig
  t.equal(cfg(undefined), undefined)
  t.strictSame(cfg('none'), { functionCallingConfig: { mode: 'NONE' } })
  t.strictSame(cfg('required'), { functionCallingConfig: { mode: 'ANY' } })
  t.strictSame(cfg({ type: 'function', function: { name: 'get_weather' } }), { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } })
  t.strictSame(cfg('auto', CLAUDE), { functionCallingConfig: { mode: 'VALIDATED' } })
  t.match(invalid({ tools: [weather], tool_choice: 'sometimes', messages: [{ role: 'user', content: 'x' }] }), /tool_choice must be/)
})

t.test('sampling parameters, stop and JSON output go into generationConfig', async (t) => {
  const r = build({
    messages: [{ role: 'user', content: 'x' }],
    max_completion_tokens: 500, temperature: 0.3, top_p: 0.9, stop: ['END', ''], seed: 7, presence_penalty: 0.5,
    response_format: { type: 'json_schema', json_schema: { name: 'r', schema: { type: 'object', properties: { ok: { type: 'boolean' } }, additionalProperties: false } } },
    reasoning_effort: 'none',
  })
  t.strictSame(r.request.generationConfig, {
    maxOutputTokens: 500, temperature: 0.3, topP: 0.9, stopSequences: ['END'], seed: 7, presencePenalty: 0.5,
    responseMimeType: 'application/json', responseSchema: { type: 'object', description: 'no other properties', properties: { ok: { type: 'boolean' } } },
  })
  t.match(invalid({ messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } }, CLAUDE), /response_format json_object is not supported by claude/)
})

t.test('reasoning_effort: Gemini 3 levels per model, Claude budgets below maxOutputTokens', async (t) => {
  const thinking = (effort: unknown, m: ModelDef, extra: Record<string, unknown> = {}): unknown =>
    build({ messages: [{ role: 'user', content: 'x' }], reasoning_effort: effort, ...extra }, m).request.generationConfig?.thinkingConfig
  t.strictSame(thinking('minimal', GEMINI), { includeThoughts: true, thinkingLevel: 'LOW' })
  t.strictSame(thinking('medium', GEMINI), { includeThoughts: true, thinkingLevel: 'HIGH' })
  t.strictSame(thinking('minimal', FLASH), { includeThoughts: true, thinkingLevel: 'MINIMAL' })
  t.strictSame(thinking('medium', FLASH), { includeThoughts: true, thinkingLevel: 'MEDIUM' })
  t.strictSame(thinking(undefined, CLAUDE), undefined, 'Claude thinks only when asked')
  t.strictSame(thinking('high', CLAUDE), { includeThoughts: true, thinkingBudget: 16384 })
  t.strictSame(thinking('high', CLAUDE, { max_tokens: 4096 }), { includeThoughts: true, thinkingBudget: 3072 }, 'shrunk to leave room for the answer')
  t.strictSame(thinking('high', CLAUDE, { max_tokens: 1500 }), undefined, 'too small to think')
  t.strictSame(thinking('high', model('gemini-2.5-pro')), { includeThoughts: true, thinkingBudget: 16384 })
  t.strictSame(thinking('high', model('gpt-oss-120b-medium', false)), undefined)
  const claude = build({ messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'low', temperature: 0.2 }, CLAUDE)
  t.strictSame(claude.request.generationConfig, { maxOutputTokens: 64000, thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } }, 'temperature dropped while Claude thinks')
  t.match(invalid({ messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'max' }), /reasoning_effort must be one of/)
})

t.test('what Antigravity cannot do is refused before any upstream call', async (t) => {
  const user = [{ role: 'user', content: 'x' }]
  t.match(invalid({ messages: user, n: 2 }), /n=2/)
  t.match(invalid({ messages: user, logprobs: true }), /logprobs/)
  t.match(invalid({ messages: user, functions: [] }), /legacy functions/)
  t.match(invalid({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }), /input_audio/)
  t.match(invalid({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AAAA' } }] }] }), /image\/bmp/)
  t.match(invalid({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'nope', content: 'r' }] }), /does not match a tool call/)
  t.match(invalid({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{bad' } }] }] }), /not valid JSON/)
  t.match(invalid({ messages: [] }), /at least one/)
})
