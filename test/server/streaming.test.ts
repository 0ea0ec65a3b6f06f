import t from 'tap'
import { sseChunk } from '../helpers/fake-upstream.ts'
import { scenario, HI } from '../helpers/scenario.ts'

function deferred (): { promise: Promise<void>, resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => { resolve = r })
  return { promise, resolve }
}

t.test('streaming is incremental: the client has the first chunk before the upstream sends the second', async (t) => {
  const gate = deferred()
  const { gw } = await scenario(t, {
    byKey: { a: () => ({ chunks: [sseChunk('Hel'), { data: sseChunk('lo'), gate: gate.promise }, 'data: [DONE]\n\n'] }) },
  })
  const res = await gw.chat({ model: 'fake/m1', stream: true, ...HI })
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type') ?? '', /text\/event-stream/)
  const reader = res.body!.getReader()
  const first = new TextDecoder().decode((await reader.read()).value)
  t.match(first, /"Hel"/, 'first chunk arrives while the upstream still holds the second')
  t.notMatch(first, /"lo"/)
  gate.resolve()
  let rest = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    rest += new TextDecoder().decode(value)
  }
  t.match(rest, /"lo"/)
  t.match(rest, /data: \[DONE\]/)
})

t.test('an upstream that dies mid-stream ends the SSE stream with an OpenAI-shaped error event', async (t) => {
  const { gw, up } = await scenario(t, {
    byKey: { a: () => ({ chunks: [sseChunk('partial'), sseChunk('more'), sseChunk('never')], destroyAfter: 2 }) },
  })
  const res = await gw.chat({ model: 'fake/m1', stream: true, ...HI })
  t.equal(res.status, 200)
  const text = await res.text()
  t.match(text, /"partial"/)
  const events = text.split('\n\n').filter(Boolean)
  const last = events[events.length - 1]
  t.match(last, /^data: \{"error":\{/)
  const err = JSON.parse(last.slice(6)) as { error: { message: string, type: string, code: string } }
  t.equal(err.error.code, 'upstream_error')
  t.notMatch(text, /\[DONE\]/)
  t.equal(up.requests.length, 1, 'no failover after the first byte')
  const status = await gw.app.inject({ method: 'GET', url: '/admin/status' })
  const a = (status.json() as { profiles: Array<{ id: string, errorCount: number }> }).profiles.find((p) => p.id === 'fake:a')
  t.equal(a?.errorCount, 1, 'the failure is recorded against the profile')
})

t.test('a stream that fails before its first byte still fails over', async (t) => {
  const { gw } = await scenario(t, { byKey: { a: () => ({ chunks: [sseChunk('x')], destroyAfter: 0 }) } })
  const res = await gw.chat({ model: 'fake/m1', stream: true, ...HI })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-profile'), 'fake:b')
})

t.test('a client that disconnects mid-stream closes the upstream connection', async (t) => {
  const gate = deferred()
  t.teardown(() => { gate.resolve() })
  const { gw, up } = await scenario(t, {
    byKey: { a: () => ({ chunks: [sseChunk('one'), { data: sseChunk('two'), gate: gate.promise }, 'data: [DONE]\n\n'] }) },
  })
  const res = await gw.chat({ model: 'fake/m1', stream: true, ...HI }, {})
  const reader = res.body!.getReader()
  t.match(new TextDecoder().decode((await reader.read()).value), /"one"/)
  await reader.cancel()
  // The fake still holds chunk two: only rotor hanging up can close its response.
  const bound = new Promise<string>((resolve) => { const timer = setTimeout(resolve, 10_000, 'still open'); t.teardown(() => clearTimeout(timer)) })
  t.strictSame(await Promise.race([up.requests[0].closed, bound]), { finished: false }, 'the upstream saw its connection closed before the end')
  t.equal(up.openResponses(), 0)
})
