// A 200 that is not an answer is not a success: non-stream bodies that are empty, not JSON,
// not a chat completion or cut mid-body fail over before anything reaches the client; streams
// that end without a finish reason or [DONE] end with a final error event, recorded against
// the profile. The gateway runs in a child process and must survive every case.
import t from 'tap'
import { encodeEvent as anthropicEvent, messageStream } from '../helpers/fake-anthropic.ts'
import { completion, sseChunk } from '../helpers/fake-upstream.ts'
import { finalError, startFaultRig } from '../helpers/fault-rig.ts'
import { encodeEvent as codexEvent, transcript } from '../providers/responses/fake-codex.ts'

const finish = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`
const whole = JSON.stringify(completion('from a'))

t.test('the fault rig', async (t) => {
  const rig = await startFaultRig(t)

  const invalid: Array<[string, { pieces: string[], headers?: Record<string, string>, then?: 'reset' }]> = [
    ['an empty body', { pieces: [] }],
    ['a body that is not JSON', { pieces: ['<html>upstream proxy error</html>'] }],
    ['JSON that is not a chat completion', { pieces: ['{"error":{"message":"no healthy upstream"}}'] }],
    ['a body cut mid-way by a reset', { pieces: [whole.slice(0, 40)], headers: { 'content-length': String(whole.length) }, then: 'reset' }],
  ]
  for (const [what, wire] of invalid) {
    t.test(`a non-stream 200 with ${what} fails over to the next profile before anything is sent`, async (t) => {
      const lane = rig.lane()
      rig.scriptOpenAI((req, p) => p === 'a' ? { wire } : { body: completion('from b', String(req.body.model)) })
      const a = await lane.ask('oa/m')
      t.equal(a.status, 200)
      t.equal(a.headers.get('x-rotor-profile'), 'oa:b')
      t.equal(a.headers.get('x-rotor-attempts'), '2')
      t.equal((JSON.parse(a.text) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content, 'from b')
      t.strictSame((await lane.profile('oa:a')).failureCounts, { unknown: 1 }, 'the invalid answer counts against profile a')
      await rig.assertAlive(t)
    })
  }

  t.test('when every profile answers an invalid 200 the client gets a 502 upstream_error', async (t) => {
    const lane = rig.lane()
    rig.scriptOpenAI(() => ({ wire: { pieces: ['not json'] } }))
    const a = await lane.ask('oa/m')
    t.equal(a.status, 502)
    const body = JSON.parse(a.text) as { error: { code: string, message: string } }
    t.equal(body.error.code, 'upstream_error')
    t.match(body.error.message, /not JSON/)
    await rig.assertAlive(t)
  })

  t.test('an OpenAI stream that ends with neither a finish reason nor [DONE] ends with an error event, recorded', async (t) => {
    const lane = rig.lane()
    rig.scriptOpenAI(() => ({ wire: { pieces: [sseChunk('Hel'), sseChunk('lo')], intervalMs: 5 } }))
    const a = await lane.ask('oa/m', { stream: true })
    t.equal(a.status, 200)
    t.match(a.text, /"lo"/)
    t.notMatch(a.text, /data: \[DONE\]/)
    t.match(finalError(a.text), { code: 'upstream_error', message: /without a finish reason or \[DONE\]/ })
    t.strictSame((await lane.profile('oa:a')).failureCounts, { unknown: 1 })
    await rig.assertAlive(t)
  })

  t.test('an OpenAI stream that ends after its finish reason gets the missing [DONE] and counts as a success', async (t) => {
    const lane = rig.lane()
    rig.scriptOpenAI(() => ({ wire: { pieces: [sseChunk('Hel'), finish], intervalMs: 5 } }))
    const a = await lane.ask('oa/m', { stream: true })
    t.equal(a.status, 200)
    t.ok(a.text.endsWith(`${finish}data: [DONE]\n\n`), 'the stream ends with the finish chunk, then [DONE]')
    t.equal(finalError(a.text), undefined)
    t.equal((await lane.profile('oa:a')).errorCount, 0)
  })

  t.test('an OpenAI stream with [DONE] passes untouched', async (t) => {
    const lane = rig.lane()
    const pieces = [sseChunk('Hel'), finish, 'data: [DONE]\n\n']
    rig.scriptOpenAI(() => ({ wire: { pieces, intervalMs: 5 } }))
    const a = await lane.ask('oa/m', { stream: true })
    t.equal(a.text, pieces.join(''))
  })

  t.test('an Anthropic stream that ends before message_delta ends with an error event, recorded', async (t) => {
    const lane = rig.lane()
    const events = messageStream({ blocks: [{ type: 'text', parts: ['Hel', 'lo'] }] }).map(anthropicEvent)
    rig.anthropic.reply({ kind: 'wire', script: { pieces: events.slice(0, 5), intervalMs: 5 } })
    const a = await lane.ask('an/claude', { stream: true })
    t.equal(a.status, 200)
    t.match(finalError(a.text), { code: 'upstream_error', message: /ended before message_stop/ })
    t.strictSame((await lane.profile('an:a')).failureCounts, { unknown: 1 })
    await rig.assertAlive(t)
  })

  t.test('a Codex stream that ends before response.completed ends with an error event, recorded', async (t) => {
    const lane = rig.lane()
    const events = transcript([{ type: 'message', text: ['Hel', 'lo'] }]).map(codexEvent)
    rig.codex.reply({ kind: 'wire', script: { pieces: events.slice(0, -1), intervalMs: 5 } })
    const a = await lane.ask('cx/gpt', { stream: true })
    t.equal(a.status, 200)
    t.match(finalError(a.text), { code: 'upstream_error', message: /ended before response.completed/ })
    t.strictSame((await lane.profile('cx:a')).failureCounts, { unknown: 1 })
    await rig.assertAlive(t)
  })

  t.test('an Anthropic non-stream 200 that is not JSON fails over', async (t) => {
    const lane = rig.lane()
    rig.anthropic.reply(
      { kind: 'wire', script: { headers: { 'content-type': 'application/json' }, pieces: ['{"type":"message",'], then: 'end' } },
      { kind: 'json', body: { id: 'msg_b', type: 'message', role: 'assistant', model: 'claude', content: [{ type: 'text', text: 'from b' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } },
    )
    const a = await lane.ask('an/claude')
    t.equal(a.status, 200)
    t.equal(a.headers.get('x-rotor-profile'), 'an:b')
    await rig.assertAlive(t)
  })
})
