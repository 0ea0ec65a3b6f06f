// How a passthrough OpenAI stream ended, judged from its last bytes only.
import t from 'tap'
import { openAIStreamEnd } from '../../src/providers/passthrough.ts'

const chunk = (finish: string | null): string =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: finish === null ? { content: 'x' } : {}, finish_reason: finish }] })}\n\n`

t.test('[DONE] is a proper end, with or without the space after data:', async (t) => {
  t.strictSame(openAIStreamEnd(`${chunk(null)}${chunk('stop')}data: [DONE]\n\n`), { kind: 'ok' })
  t.strictSame(openAIStreamEnd(`${chunk(null)}data:[DONE]\n\n`), { kind: 'ok' })
})

t.test('a finish reason then EOF is a proper end short of the [DONE] that is added', async (t) => {
  t.strictSame(openAIStreamEnd(chunk('length')), { kind: 'ok', append: 'data: [DONE]\n\n' })
  const usage = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 1 } })}\n\n`
  t.strictSame(openAIStreamEnd(chunk('stop') + usage), { kind: 'ok', append: 'data: [DONE]\n\n' })
})

t.test('no finish reason and no [DONE] is a stream cut short', async (t) => {
  t.match(openAIStreamEnd(chunk(null)), { kind: 'failed', error: { kind: 'truncated' } })
  t.match(openAIStreamEnd(''), { kind: 'failed', error: { kind: 'truncated' } })
  t.match(openAIStreamEnd('data: {"choices":[{"finish_reason":null}]}\n\n'), { kind: 'failed', error: { kind: 'truncated' } })
})

t.test('an error event at the end is reported with its status and code', async (t) => {
  t.strictSame(openAIStreamEnd(`${chunk(null)}data: {"error":{"message":"Provider returned error","code":429}}\n\n`), {
    kind: 'failed',
    error: { kind: 'upstream', status: 429, code: '429', message: 'upstream 429: Provider returned error', raw: '{"error":{"message":"Provider returned error","code":429}}' },
  })
  t.match(openAIStreamEnd('data: {"error":{"message":"overloaded","type":"server_error","code":"overloaded"}}\n\n'), {
    kind: 'failed', error: { kind: 'upstream', status: 500, code: 'overloaded' },
  })
  t.match(openAIStreamEnd('data: {"error": nope\n\n'), { kind: 'failed', error: { kind: 'malformed' } })
})
