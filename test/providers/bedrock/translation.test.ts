// OpenAI chat ↔ Converse, pure: the request builder, the JSON answer and the stream translator.
import t from 'tap'
import type { ModelDef } from '../../../src/config/types.ts'
import { toConverseRequest } from '../../../src/providers/bedrock/request.ts'
import { fromConverseResponse } from '../../../src/providers/bedrock/response.ts'
import { BedrockStreamTranslator } from '../../../src/providers/bedrock/stream.ts'
import { UpstreamEventError } from '../../../src/core/errors.ts'

const claude: ModelDef = {
  id: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', name: 'Claude', api: 'bedrock-converse-stream', reasoning: true,
  input: ['text', 'image'], cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }, contextWindow: 200000, maxTokens: 64000,
}
const nova: ModelDef = { ...claude, id: 'amazon.nova-pro-v1:0', reasoning: false, maxTokens: 5000 }
const tool = { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }

function ok (body: Record<string, unknown>, model = claude): Record<string, unknown> {
  const r = toConverseRequest(body, model)
  if (r.kind !== 'ok') throw new Error(r.message)
  return r.request as unknown as Record<string, unknown>
}

t.test('system, merged turns, tool results first and cache points translate to Converse', async (t) => {
  const req = ok({
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'Long rules.', cache_control: { type: 'ephemeral' } }] },
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: 'Find x.' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '' },
      { role: 'user', content: 'And?' },
    ],
    tools: [tool],
    tool_choice: { type: 'function', function: { name: 'lookup' } },
    reasoning_effort: 'high',
  })
  t.strictSame(req, {
    messages: [
      { role: 'user', content: [{ text: 'Find x.' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'c1', name: 'lookup', input: { q: 'x' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'c1', content: [{ json: {} }] } }, { text: 'And?' }] },
    ],
    system: [{ text: 'Long rules.' }, { cachePoint: { type: 'default' } }, { text: 'Be brief.' }],
    toolConfig: { tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: tool.function.parameters } } }], toolChoice: { tool: { name: 'lookup' } } },
    inferenceConfig: { maxTokens: 64000 },
  }, 'a forced tool keeps thinking off')
})

t.test('sampling: Claude keeps one of temperature/top_p, thinking drops both, other models keep both', async (t) => {
  const msgs = [{ role: 'user', content: 'hi' }]
  t.strictSame(ok({ messages: msgs, temperature: 1.7, top_p: 0.9, top_k: 5 }).inferenceConfig, { maxTokens: 64000, temperature: 1 })
  t.strictSame(ok({ messages: msgs, temperature: 0.5, top_p: 0.9, top_k: 5 }).additionalModelRequestFields, { top_k: 5 })
  const thinking = ok({ messages: msgs, temperature: 0.5, reasoning_effort: 'low', max_completion_tokens: 2500 })
  t.strictSame(thinking.inferenceConfig, { maxTokens: 2500 })
  t.strictSame(thinking.additionalModelRequestFields, { thinking: { type: 'enabled', budget_tokens: 1476 } }, 'the budget shrinks to leave room for the answer')
  t.strictSame(ok({ messages: msgs, temperature: 0.5, top_p: 0.9, reasoning_effort: 'high' }, nova), {
    messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens: 5000, temperature: 0.5, topP: 0.9 },
  }, 'reasoning_effort has no effect on a model without Anthropic thinking')
})

t.test('tool_choice none leaves the tools out unless the conversation already used them', async (t) => {
  t.equal(ok({ messages: [{ role: 'user', content: 'hi' }], tools: [tool], tool_choice: 'none' }).toolConfig, undefined)
  const withBlocks = ok({
    messages: [
      { role: 'user', content: 'Find x.' },
      { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'found' },
    ],
    tools: [tool], tool_choice: 'none',
  })
  t.strictSame(withBlocks.toolConfig, { tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: tool.function.parameters } } }] })
})

t.test('what Converse cannot do is the client\'s 400', async (t) => {
  const bad = (body: Record<string, unknown>): string => {
    const r = toConverseRequest({ messages: [{ role: 'user', content: 'hi' }], ...body }, claude)
    return r.kind === 'invalid' ? r.message : 'accepted'
  }
  t.match(bad({ n: 2 }), /n=2 is not supported by Bedrock models/)
  t.match(bad({ response_format: { type: 'json_object' } }), /response_format json_object is not supported/)
  t.match(bad({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }), /content part type "input_audio"/)
  t.match(bad({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/tiff;base64,AAAA' } }] }] }), /image type image\/tiff/)
  t.match(bad({ tool_choice: 'sometimes' }), /tool_choice must be/)
  t.match(bad({ reasoning_effort: 'extreme' }), /reasoning_effort must be one of/)
})

t.test('a Converse answer becomes a chat.completion with reasoning, tool calls and usage', async (t) => {
  const r = fromConverseResponse({
    output: { message: { role: 'assistant', content: [
      { reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig' } } },
      { reasoningContent: { redactedContent: 'b64==' } },
      { text: 'Calling.' },
      { toolUse: { toolUseId: 't1', name: 'lookup', input: { q: 'x' } } },
    ] } },
    stopReason: 'tool_use',
    usage: { inputTokens: 10, outputTokens: 5, totalTokens: 35, cacheReadInputTokens: 20, cacheWriteInputTokens: 0 },
  }, { created: 1, model: claude.id, id: 'chatcmpl-x' })
  t.strictSame(r, { kind: 'ok', completion: {
    id: 'chatcmpl-x', object: 'chat.completion', created: 1, model: claude.id,
    choices: [{ index: 0, logprobs: null, finish_reason: 'tool_calls', message: {
      role: 'assistant', content: 'Calling.', refusal: null,
      tool_calls: [{ id: 't1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
      reasoning_content: 'hmm',
      thinking_blocks: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'redacted_thinking', data: 'b64==' }],
    } }],
    usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35, prompt_tokens_details: { cached_tokens: 20, cache_write_tokens: 0 } },
  } })
  for (const [stop, finish] of [['max_tokens', 'length'], ['guardrail_intervened', 'content_filter'], ['content_filtered', 'content_filter'], ['stop_sequence', 'stop']]) {
    const c = fromConverseResponse({ output: { message: { content: [{ text: 'x' }] } }, stopReason: stop }, { created: 1, model: 'm', id: 'i' })
    t.match(c, { kind: 'ok', completion: { choices: [{ finish_reason: finish }] } }, stop)
  }
  t.match(fromConverseResponse({ nope: true }, { created: 1, model: 'm', id: 'i' }), { kind: 'invalid' })
})

t.test('the stream translator holds the role chunk back, ends with usage and [DONE], and throws on exceptions', async (t) => {
  const tr = new BedrockStreamTranslator({ includeUsage: true, created: 1, model: 'm', id: 'chatcmpl-s' })
  t.equal(tr.push('messageStart', '{"role":"assistant"}'), '', 'nothing before content')
  const out = [
    tr.push('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"Hi"}}'),
    tr.push('contentBlockStop', '{"contentBlockIndex":0}'),
    tr.push('messageStop', '{"stopReason":"end_turn"}'),
    tr.push('metadata', '{"usage":{"inputTokens":3,"outputTokens":1,"cacheWriteInputTokens":7}}'),
  ].join('')
  const chunks = out.split('\n\n').filter(Boolean)
  t.equal(chunks.length, 5)
  t.match(chunks[0], '"delta":{"role":"assistant","content":""}')
  t.match(chunks[1], '"delta":{"content":"Hi"}')
  t.match(chunks[2], '"finish_reason":"stop"')
  t.match(chunks[3], '"usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":7}}')
  t.equal(chunks[4], 'data: [DONE]')
  t.ok(tr.finished)

  const cut = new BedrockStreamTranslator({ includeUsage: false, created: 1, model: 'm', id: 'c' })
  cut.push('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"Hi"}}')
  t.throws(() => cut.end(), /ended before messageStop/)
  const failing = new BedrockStreamTranslator({ includeUsage: false, created: 1, model: 'm', id: 'c' })
  t.throws(() => failing.push('exception:throttlingException', '{"message":"slow"}'), new UpstreamEventError('ThrottlingException', 429, 'slow'))
})
