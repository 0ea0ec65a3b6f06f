// gateway.requestTimeoutMs is a deadline for the whole response (504 before commit, a final
// error event after), gateway.idleTimeoutMs the longest silence between chunks, and
// firstByteTimeoutMs still covers headers plus the first body byte. Upstreams that drip or
// stall are cut, their connections closed, and the process keeps serving.
import t from 'tap'
import { encodeEvent as anthropicEvent, messageStream } from '../helpers/fake-anthropic.ts'
import { completion, sseChunk, type RecordedRequest } from '../helpers/fake-upstream.ts'
import { finalError, startFaultRig, upstreamReleased, type FaultRig } from '../helpers/fault-rig.ts'
import { encodeEvent as codexEvent, transcript } from '../providers/responses/fake-codex.ts'

const DEADLINE_MS = 3000

function dripChunks (n: number): string[] {
  return Array.from({ length: n }, (_, i) => sseChunk(`d${i}`))
}

t.test('the fault rig', async (t) => {
  const rig: FaultRig = await startFaultRig(t, { firstByteTimeoutMs: 1500, idleTimeoutMs: 1000, requestTimeoutMs: DEADLINE_MS })

  t.test('a stream that drips forever is cut at the request deadline with a final upstream_timeout event', async (t) => {
    const lane = rig.lane()
    let seen: RecordedRequest | undefined
    rig.scriptOpenAI((req) => { seen = req; return { wire: { pieces: dripChunks(400), intervalMs: 50 } } })
    const a = await lane.ask('oa/m', { stream: true })
    t.equal(a.status, 200)
    t.match(a.text, /"d0"/)
    t.notMatch(a.text, /"d399"/)
    t.match(finalError(a.text), { code: 'upstream_timeout', message: /deadline/ })
    t.strictSame(await seen?.closed, { finished: false }, 'rotor closed the upstream connection')
    t.equal((await lane.profile('oa:a')).errorCount, 0, "rotor's own deadline does not cool the profile")
    await rig.assertAlive(t)
  })

  t.test('a non-stream body that drips past the deadline is a 504 upstream_timeout, and the upstream is released', async (t) => {
    const lane = rig.lane()
    const body = JSON.stringify(completion('slow'))
    const seen: RecordedRequest[] = []
    rig.scriptOpenAI((req) => { seen.push(req); return { wire: { pieces: body.split(''), intervalMs: 50 } } })
    const a = await lane.ask('oa/m')
    t.equal(a.status, 504)
    t.equal((JSON.parse(a.text) as { error: { code: string } }).error.code, 'upstream_timeout')
    t.equal(seen.length, 1, 'no other candidate is tried once the deadline has passed')
    t.strictSame(await seen[0].closed, { finished: false })
    await rig.assertAlive(t)
  })

  t.test('a stream that falls silent after its first chunk is cut by the idle timeout and cools the profile', async (t) => {
    const lane = rig.lane()
    let seen: RecordedRequest | undefined
    rig.scriptOpenAI((req) => { seen = req; return { wire: { pieces: [sseChunk('Hel')], then: 'stall' } } })
    const a = await lane.ask('oa/m', { stream: true })
    t.equal(a.status, 200)
    t.match(a.text, /"Hel"/)
    t.match(finalError(a.text), { code: 'upstream_timeout', message: /idle/ })
    t.strictSame(await seen?.closed, { finished: false })
    t.strictSame((await lane.profile('oa:a')).failureCounts, { timeout: 1 })
    await rig.assertAlive(t)
  })

  t.test('headers without a first body byte hit the first-byte timeout and fail over', async (t) => {
    const lane = rig.lane()
    rig.scriptOpenAI((req, p) => p === 'a' ? { wire: { pieces: [], then: 'stall' } } : { body: completion('from b', String(req.body.model)) })
    const a = await lane.ask('oa/m')
    t.equal(a.status, 200)
    t.equal(a.headers.get('x-rotor-profile'), 'oa:b')
    t.strictSame((await lane.profile('oa:a')).failureCounts, { timeout: 1 })
  })

  t.test('no headers at all hit the first-byte timeout and fail over', async (t) => {
    const lane = rig.lane()
    rig.scriptOpenAI((req, p) => p === 'a' ? { hang: true } : { body: completion('from b', String(req.body.model)) })
    const a = await lane.ask('oa/m', { stream: false })
    t.equal(a.headers.get('x-rotor-profile'), 'oa:b')
    t.strictSame((await lane.profile('oa:a')).failureCounts, { timeout: 1 })
  })

  t.test('an Anthropic stream that pings forever without output is a 504 at the deadline', async (t) => {
    const lane = rig.lane()
    const start = messageStream({ blocks: [] }).map(anthropicEvent)[0]
    const pings = Array.from({ length: 400 }, () => 'event: ping\ndata: {"type":"ping"}\n\n')
    rig.anthropic.reply({ kind: 'wire', script: { pieces: [start, ...pings], intervalMs: 50 } })
    const a = await lane.ask('an/claude', { stream: true })
    t.equal(a.status, 504)
    t.equal((JSON.parse(a.text) as { error: { code: string } }).error.code, 'upstream_timeout')
    t.ok(await upstreamReleased(() => rig.anthropic.openResponses()), 'rotor closed the upstream connection')
    await rig.assertAlive(t)
  })

  t.test('a Codex stream that falls silent after output ends with an upstream_timeout event', async (t) => {
    const lane = rig.lane()
    const events = transcript([{ type: 'message', text: ['Hel', 'lo'] }]).map(codexEvent)
    rig.codex.reply({ kind: 'wire', script: { pieces: events.slice(0, 6), intervalMs: 5, then: 'stall' } })
    const a = await lane.ask('cx/gpt', { stream: true })
    t.equal(a.status, 200)
    t.match(finalError(a.text), { code: 'upstream_timeout', message: /idle/ })
    t.ok(await upstreamReleased(() => rig.codex.openResponses()), 'rotor closed the upstream connection')
    t.strictSame((await lane.profile('cx:a')).failureCounts, { timeout: 1 })
    await rig.assertAlive(t)
  })
})
