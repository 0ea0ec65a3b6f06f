// The response writer never throws after hijack: when Node refuses a header it writes, the
// client still gets an OpenAI-shaped 502 with the headers that are valid, and the upstream
// body is released (the fake upstream sees its connection closed).
import t, { type Test } from 'tap'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOpenAICompletionsAdapter } from '../../src/providers/openai-completions.ts'
import type { UpstreamSuccess } from '../../src/providers/types.ts'
import { writeUpstream, type StreamEnd } from '../../src/server/response-writer.ts'
import { attemptRequest, providerDef, success } from '../helpers/attempt-request.ts'
import { sseChunk, startFakeUpstream, type RecordedRequest } from '../helpers/fake-upstream.ts'

const model = { id: 'm', name: 'm', api: 'openai-completions', reasoning: false, input: ['text'], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 1000, maxTokens: 100 } as const

/** A live streamed success from a fake upstream that holds its stream open until the test ends. */
async function openStream (t: Test): Promise<{ res: UpstreamSuccess, upstream: RecordedRequest, release: () => void }> {
  let release!: () => void
  const held = new Promise<void>((resolve) => { release = resolve })
  const up = await startFakeUpstream(() => ({ chunks: [sseChunk('Hel'), { data: sseChunk('lo'), gate: held }, 'data: [DONE]\n\n'] }))
  t.teardown(async () => { release(); await up.close() })
  const provider = providerDef({ id: 'fake', baseUrl: `${up.url}/v1`, api: 'openai-completions', auth: 'api-key', models: [model] })
  const result = await createOpenAICompletionsAdapter().attempt(attemptRequest({
    provider, model, credential: { profileId: 'fake:a', type: 'api_key', secret: 'sk-writer-test-1234567' },
    body: { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] },
  }))
  return { res: success(result), upstream: up.requests[0], release }
}

/** Runs writeUpstream as the handler of a real HTTP server and fetches the answer. */
async function serve (t: Test, write: (raw: ServerResponse) => Promise<StreamEnd>): Promise<{ response: Response, text: string, end: StreamEnd }> {
  let end!: Promise<StreamEnd>
  const server = createServer((_req, raw) => { end = write(raw) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  const text = await response.text()
  return { response, text, end: await end }
}

t.test('a rotor header Node refuses gets the client a 502 in OpenAI shape and releases the upstream', async (t) => {
  const { res, upstream } = await openStream(t)
  const headers = { 'x-request-id': 'req-1', 'x-rotor-model': 'openrouter/\u6a21\u578b', 'x-rotor-attempts': '1' }
  const { response, text, end } = await serve(t, (raw) => writeUpstream(raw, res, headers, true))
  t.equal(response.status, 502)
  t.match(response.headers.get('content-type'), /application\/json/)
  t.equal(response.headers.get('x-request-id'), 'req-1', 'valid headers are kept')
  t.equal(response.headers.get('x-rotor-attempts'), '1')
  t.equal(response.headers.get('x-rotor-model'), null, 'the refused header is left out')
  const body = JSON.parse(text) as { error: Record<string, unknown> }
  t.strictSame(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type'])
  t.equal(body.error.code, 'upstream_error')
  t.equal(end.kind, 'write_failed')
  t.strictSame(await upstream.closed, { finished: false }, 'the upstream connection was closed')
})

t.test('an invalid content type set by the writer itself still ends in a 502 and a released upstream', async (t) => {
  const { res, upstream } = await openStream(t)
  const bad: UpstreamSuccess = { ...res, contentType: 'text/event-stream\r\nx-injected: 1' }
  const { response, end } = await serve(t, (raw) => writeUpstream(raw, bad, { 'x-request-id': 'req-2' }, true))
  t.equal(response.status, 502)
  t.equal(response.headers.get('x-injected'), null)
  t.equal(end.kind, 'write_failed')
  t.strictSame(await upstream.closed, { finished: false })
})

t.test('a valid response streams through, and the upstream is read to its end', async (t) => {
  const { res, upstream, release } = await openStream(t)
  const done = serve(t, (raw) => writeUpstream(raw, res, { 'x-request-id': 'req-3', 'x-rotor-model': 'fake/m' }, true))
  release()
  const { response, text, end } = await done
  t.equal(response.status, 200)
  t.equal(response.headers.get('x-rotor-model'), 'fake/m')
  t.match(text, /"Hel".*"lo".*data: \[DONE\]/s)
  t.equal(end.kind, 'complete')
  t.strictSame(await upstream.closed, { finished: true })
})
