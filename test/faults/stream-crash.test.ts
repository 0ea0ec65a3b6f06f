// No upstream byte sequence may end the process: error events followed by more bytes,
// garbage SSE, and connections reset at any byte, for each upstream family. The gateway runs
// in a child process; every case ends by checking that it still answers.
import t from 'tap'
import { encodeEvent as anthropicEvent, errorEvent, messageStream } from '../helpers/fake-anthropic.ts'
import { completion, sseChunk } from '../helpers/fake-upstream.ts'
import { finalError, startFaultRig, upstreamReleased, type Answer } from '../helpers/fault-rig.ts'
import { encodeEvent as codexEvent, failedTranscript, transcript } from '../providers/responses/fake-codex.ts'
import type { WireScript } from '../helpers/wire-script.ts'

const dripChunks = (n: number): string[] => Array.from({ length: n }, (_, i) => sseChunk(`d${i}`))
const PING = 'event: ping\ndata: {"type":"ping"}\n\n'
const GARBAGE = ['data: {garbage\n\n', 'event: content_block_delta\ndata: \u0000\u0001\n\n', '\ufffd\ufffd: ::\n\n', PING]

const anthropicText = messageStream({ blocks: [{ type: 'text', parts: ['Hel', 'lo'] }] }).map(anthropicEvent)
const codexText = transcript([{ type: 'message', text: ['Hel', 'lo'] }]).map(codexEvent)
const openaiText = [sseChunk('Hel'), sseChunk('lo'), `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`, 'data: [DONE]\n\n']
/** Anthropic events up to and including the first text delta: output exists after these. */
const anthropicHead = anthropicText.slice(0, 4)
const codexHead = codexText.slice(0, 6)

/** A streamed answer that is well-formed: the client either got a whole stream or a final error event. */
function settled (a: Answer): boolean {
  if (a.status !== 200) return /^\{"error":\{"message":/.test(a.text)
  return finalError(a.text) !== undefined || a.text.endsWith('data: [DONE]\n\n')
}

t.test('the fault rig', async (t) => {
  const rig = await startFaultRig(t, { lanes: 60 })

  t.test('an Anthropic error event followed by a ping in its own write fails over, and the process lives', async (t) => {
    const lane = rig.lane()
    rig.anthropic.reply(
      { kind: 'wire', script: { pieces: [anthropicEvent(errorEvent('overloaded_error', 'Overloaded')), PING] } },
      { kind: 'sse', events: messageStream({ blocks: [{ type: 'text', parts: ['from b'] }] }) },
    )
    const a = await lane.ask('an/claude', { stream: true })
    t.equal(a.status, 200)
    t.equal(a.headers.get('x-rotor-profile'), 'an:b')
    t.match(a.text, /from b/)
    await rig.assertAlive(t)
  })

  t.test('an Anthropic error event after output, then a ping, ends the stream with an error event and cools the model', async (t) => {
    const lane = rig.lane()
    rig.anthropic.reply({ kind: 'wire', script: { pieces: [...anthropicHead, anthropicEvent(errorEvent('overloaded_error', 'Overloaded')), PING], intervalMs: 5 } })
    const a = await lane.ask('an/claude', { stream: true })
    t.equal(a.status, 200)
    t.match(a.text, /"Hel"/)
    t.match(finalError(a.text), { code: 'upstream_error', message: /Overloaded/ })
    const p = await lane.profile('an:a')
    t.strictSame(p.failureCounts, { rate_limit: 1 }, 'recorded as the rate limit it stands for')
    t.ok(p.modelCooldowns.claude !== undefined, 'the cooldown is for the model')
    await rig.assertAlive(t)
  })

  t.test('Anthropic garbage SSE before any output fails over; after output it ends the stream', async (t) => {
    const early = rig.lane()
    rig.anthropic.reply(
      { kind: 'wire', script: { pieces: GARBAGE } },
      { kind: 'sse', events: messageStream({ blocks: [{ type: 'text', parts: ['from b'] }] }) },
    )
    const a = await early.ask('an/claude', { stream: true })
    t.equal(a.headers.get('x-rotor-profile'), 'an:b')
    t.match(a.text, /from b/)
    const late = rig.lane()
    rig.anthropic.reply({ kind: 'wire', script: { pieces: [...anthropicHead, ...GARBAGE], intervalMs: 5 } })
    const b = await late.ask('an/claude', { stream: true })
    t.equal(b.status, 200)
    t.match(finalError(b.text), { code: 'upstream_error', message: /unreadable/ })
    t.strictSame((await late.profile('an:a')).failureCounts, { unknown: 1 })
    await rig.assertAlive(t)
  })

  t.test('a Codex response.failed followed by another event fails over; after output it ends the stream', async (t) => {
    const early = rig.lane()
    const failed = failedTranscript('server_is_overloaded', 'Try again later').map(codexEvent)
    rig.codex.reply(
      { kind: 'wire', script: { pieces: [...failed, 'event: keepalive\ndata: {"type":"keepalive"}\n\n'] } },
      { kind: 'sse', events: transcript([{ type: 'message', text: ['from b'] }]) },
    )
    const a = await early.ask('cx/gpt', { stream: true })
    t.equal(a.headers.get('x-rotor-profile'), 'cx:b')
    t.match(a.text, /from b/)
    const late = rig.lane()
    const error = codexEvent({ event: 'error', data: { type: 'error', code: 'rate_limit_exceeded', message: 'Slow down' } })
    rig.codex.reply({ kind: 'wire', script: { pieces: [...codexHead, error, ...GARBAGE], intervalMs: 5 } })
    const b = await late.ask('cx/gpt', { stream: true })
    t.equal(b.status, 200)
    t.match(finalError(b.text), { code: 'upstream_error', message: /rate_limit_exceeded: Slow down/ })
    t.strictSame((await late.profile('cx:a')).failureCounts, { rate_limit: 1 })
    await rig.assertAlive(t)
  })

  t.test('Codex garbage SSE, early and late, never ends the process', async (t) => {
    const early = rig.lane()
    rig.codex.reply({ kind: 'wire', script: { pieces: GARBAGE } }, { kind: 'sse', events: transcript([{ type: 'message', text: ['from b'] }]) })
    const a = await early.ask('cx/gpt', { stream: true })
    t.equal(a.headers.get('x-rotor-profile'), 'cx:b')
    const late = rig.lane()
    rig.codex.reply({ kind: 'wire', script: { pieces: [...codexHead, ...GARBAGE], intervalMs: 5 } })
    const b = await late.ask('cx/gpt', { stream: true })
    t.match(finalError(b.text), { code: 'upstream_error' })
    await rig.assertAlive(t)
  })

  t.test('an OpenAI-wire error event mid-stream ends the stream with an error event and is classified by its code', async (t) => {
    const lane = rig.lane()
    rig.scriptOpenAI((_req, p) => p === 'a'
      ? { wire: { pieces: [sseChunk('Hel'), 'data: {"error":{"message":"Provider returned error","code":429}}\n\n', ': keep-alive\n\n'], intervalMs: 5 } }
      : { body: {} })
    const a = await lane.ask('oa/m', { stream: true })
    t.equal(a.status, 200)
    t.match(a.text, /"Hel"/)
    t.match(finalError(a.text), { code: 'upstream_error', message: /upstream 429: Provider returned error/ })
    t.strictSame((await lane.profile('oa:a')).failureCounts, { rate_limit: 1 }, 'the in-stream 429 is recorded as a rate limit')
    await rig.assertAlive(t)
  })

  t.test('OpenAI-wire garbage mid-stream ends the stream with an error event', async (t) => {
    const lane = rig.lane()
    rig.scriptOpenAI((_req, p) => p === 'a' ? { wire: { pieces: [sseChunk('Hel'), ...GARBAGE], intervalMs: 5 } } : { body: {} })
    const a = await lane.ask('oa/m', { stream: true })
    t.match(finalError(a.text), { code: 'upstream_error', message: /without a finish reason or \[DONE\]/ })
    t.strictSame((await lane.profile('oa:a')).failureCounts, { unknown: 1 })
    await rig.assertAlive(t)
  })

  t.test('an SSE line that never ends is cut at a bound instead of filling memory', async (t) => {
    const lane = rig.lane()
    const mib = 'x'.repeat(1024 * 1024)
    rig.anthropic.reply(
      { kind: 'wire', script: { pieces: ['event: message_start\ndata: ', ...Array.from({ length: 17 }, () => mib)], then: 'stall' } },
      { kind: 'sse', events: messageStream({ blocks: [{ type: 'text', parts: ['from b'] }] }) },
    )
    const a = await lane.ask('an/claude', { stream: true })
    t.equal(a.headers.get('x-rotor-profile'), 'an:b')
    t.match(a.text, /from b/)
    t.strictSame((await lane.profile('an:a')).failureCounts, { unknown: 1 })
    await rig.assertAlive(t)
  })

  t.test('an error body that never ends is read up to its bound, then the next profile answers', async (t) => {
    const lane = rig.lane()
    const kib = 'e'.repeat(1024)
    rig.scriptOpenAI((req, p) => p === 'a'
      ? { wire: { status: 500, pieces: Array.from({ length: 80 }, () => kib), then: 'stall' } }
      : { body: completion('from b', String(req.body.model)) })
    const a = await lane.ask('oa/m')
    t.equal(a.status, 200)
    t.equal(a.headers.get('x-rotor-profile'), 'oa:b')
    t.ok(await upstreamReleased(() => rig.openai.openResponses()), 'the endless error response was dropped')
    await rig.assertAlive(t)
  })

  t.test('a model name Node cannot put in a header never hangs the client nor holds the upstream', async (t) => {
    // The name is legal for upstreams; rotor serves it and percent-encodes the header value
    // (the writer's own failure path is covered in test/server/response-writer.test.ts).
    const lane = rig.lane()
    const streams: Array<Promise<{ finished: boolean }>> = []
    rig.scriptOpenAI((req) => {
      if (req.body.stream !== true) return { body: completion('whole', String(req.body.model)) }
      streams.push(req.closed)
      return { wire: { pieces: [...dripChunks(3), ...openaiText.slice(2)], intervalMs: 5 } }
    })
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${rig.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer client-key-${lane.agent}` },
        body: JSON.stringify({ model: 'oa/\u6a21\u578b', stream: i % 2 === 0, messages: [{ role: 'user', content: 'hi' }] }),
      })
      const text = await res.text()
      t.equal(res.status, 200, `request ${i} answered`)
      if (i % 2 === 0) t.ok(text.endsWith('data: [DONE]\n\n'), `request ${i}: the whole stream arrived`)
      t.equal(decodeURIComponent(res.headers.get('x-rotor-model') ?? ''), 'oa/\u6a21\u578b', `request ${i}: the model header is percent-encoded`)
    }
    const closed = await Promise.all(streams)
    t.equal(closed.length, 10, 'every stream reached the upstream')
    t.ok(await upstreamReleased(() => rig.openai.openResponses()), 'no upstream response is held open')
    await rig.assertAlive(t)
  })

  const families: Array<{ name: string, model: 'oa/m' | 'an/claude' | 'cx/gpt', pieces: string[], play: (w: WireScript) => void }> = [
    { name: 'OpenAI', model: 'oa/m', pieces: openaiText, play: (w) => { rig.scriptOpenAI((_req, p) => p === 'a' ? { wire: w } : { status: 500, body: { error: { message: 'b is down' } } }) } },
    { name: 'Anthropic', model: 'an/claude', pieces: anthropicText, play: (w) => { rig.anthropic.reply({ kind: 'wire', script: w }) } },
    { name: 'Codex', model: 'cx/gpt', pieces: codexText, play: (w) => { rig.codex.reply({ kind: 'wire', script: w }) } },
  ]
  for (const f of families) {
    t.test(`a ${f.name} stream reset at any byte gets a settled answer, never a hang or a crash`, async (t) => {
      const length = f.pieces.reduce((n, p) => n + Buffer.byteLength(p), 0)
      const offsets = [0, 1, 7, Math.floor(length / 3), Math.floor(length / 2), length - 20, length - 1]
      for (const at of offsets) {
        const lane = rig.lane()
        f.play({ pieces: f.pieces, resetAtByte: at })
        const a = await lane.ask(f.model, { stream: true })
        t.ok(settled(a), `reset at byte ${at}/${length}: ${a.status} ${a.text.slice(-160)}`)
      }
      await rig.assertAlive(t)
    })
  }
})
