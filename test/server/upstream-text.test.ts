import t from 'tap'
import { Readable } from 'node:stream'
import { createSecretRegistry } from '../../src/auth/secret-registry.ts'
import type { AttemptResult, UpstreamSuccess } from '../../src/providers/types.ts'
import { credentialFailure, fromUpstream } from '../../src/server/upstream-text.ts'

const SENT = 'never-seen-before-token-0123'

const success = (rest: AsyncIterable<Buffer>, body?: Readable): UpstreamSuccess => ({
  kind: 'ok', status: 200, contentType: 'text/event-stream', first: Buffer.from('data: {}\n\n'), rest, ttfbMs: 1, close: () => {},
  ...(body !== undefined ? { body } : {}),
})

class StreamFailure extends Error { readonly errorType = 'api_error' }

t.test('the credential an attempt sent is scrubbed from its failure, even one the registry did not know', async (t) => {
  const secrets = createSecretRegistry()
  const failed: AttemptResult = { kind: 'failure', reason: 'auth', status: 401, message: `HTTP 401: bad key ${SENT}` }
  t.strictSame(fromUpstream(failed, secrets, SENT), { kind: 'failure', reason: 'auth', status: 401, message: 'HTTP 401: bad key nev…0123' })
  const other: AttemptResult = { kind: 'bad_request', status: 400, message: `HTTP 400: ${SENT} again` }
  t.strictSame(fromUpstream(other, secrets, ''), { kind: 'bad_request', status: 400, message: 'HTTP 400: nev…0123 again' })
})

t.test('a credential failure is an auth failure with its text scrubbed', async (t) => {
  const secrets = createSecretRegistry()
  secrets.add(SENT)
  t.strictSame(credentialFailure(`OAuth token refresh failed for p: HTTP 400: ${SENT}`, secrets), { kind: 'failure', reason: 'auth', message: 'OAuth token refresh failed for p: HTTP 400: nev…0123' })
})

t.test('an error ending a committed translated stream is scrubbed and keeps its class', async (t) => {
  const secrets = createSecretRegistry()
  secrets.add(SENT)
  async function * rest (): AsyncGenerator<Buffer> {
    yield Buffer.from('data: {"x":1}\n\n')
    throw new StreamFailure(`overloaded, key ${SENT}`)
  }
  const res = fromUpstream(success(rest()), secrets, SENT)
  t.equal(res.kind, 'ok')
  const chunks: string[] = []
  const err = await (async () => {
    for await (const c of (res as UpstreamSuccess).rest) chunks.push(c.toString())
  })().catch((e: unknown) => e)
  t.strictSame(chunks, ['data: {"x":1}\n\n'])
  t.ok(err instanceof StreamFailure)
  t.equal((err as StreamFailure).errorType, 'api_error')
  t.equal((err as Error).message, 'overloaded, key nev…0123')
  t.notOk((err as Error).stack?.includes(SENT))
})

t.test('a passthrough success is returned untouched: nothing is wrapped on the hot path', async (t) => {
  const body = Readable.from([])
  const res = success({ [Symbol.asyncIterator]: () => body[Symbol.asyncIterator]() }, body)
  t.equal(fromUpstream(res, createSecretRegistry(), SENT), res)
})
