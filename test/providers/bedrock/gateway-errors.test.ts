// Each Bedrock exception class through the real gateway: as an HTTP error (type in the
// x-amzn-errortype header or the body's __type) and as an exception frame in the stream,
// before the first output (failover) and after it (final SSE error event).
import t from 'tap'
import { converseStream, type FakeBedrockReply } from '../../helpers/fake-bedrock.ts'
import { KEYS, REF, setupBedrock } from './fixtures.ts'

/** A promise the test opens once the client has the first output. */
function gate (): { promise: Promise<void>, open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => { open = resolve })
  return { promise, open }
}

const HI = { model: 'sonnet', messages: [{ role: 'user', content: 'hi' }] }

interface Case {
  readonly type: string
  readonly status: number
  readonly message: string
  /** What the client sees: the fallback's answer, or this status. */
  readonly expect: 'failover' | number
  /** Cooldown recorded for the Bedrock profile, as /admin/status shows it. */
  readonly block?: { scope: string, reason: string }
  readonly via?: 'header' | 'body'
}

const CASES: readonly Case[] = [
  { type: 'ThrottlingException', status: 429, message: 'Too many requests, please wait before trying again.', expect: 'failover', block: { scope: 'model', reason: 'rate_limit' } },
  { type: 'AccessDeniedException', status: 403, message: "You don't have access to the model with the specified model ID.", expect: 'failover', block: { scope: 'profile', reason: 'auth' } },
  { type: 'UnrecognizedClientException', status: 403, message: 'The security token included in the request is invalid.', expect: 'failover', block: { scope: 'profile', reason: 'auth' }, via: 'body' },
  { type: 'ServiceUnavailableException', status: 503, message: 'Service is unavailable.', expect: 'failover', block: { scope: 'profile', reason: 'unknown' } },
  { type: 'ModelNotReadyException', status: 429, message: 'Model is not ready for inference.', expect: 'failover', block: { scope: 'profile', reason: 'unknown' } },
  { type: 'InternalServerException', status: 500, message: 'Internal server error', expect: 'failover', block: { scope: 'profile', reason: 'unknown' } },
  { type: 'ResourceNotFoundException', status: 404, message: 'Model not found', expect: 'failover' },
  { type: 'ValidationException', status: 400, message: 'Input is too long for requested model.', expect: 400 },
]

interface StatusProfile { id: string, blocks: Array<{ scope: string, reason: string }> }

async function bedrockBlocks (gw: { url: string }): Promise<StatusProfile['blocks']> {
  const status = await (await fetch(`${gw.url}/admin/status`)).json() as { profiles: StatusProfile[] }
  return status.profiles.find((p) => p.id === 'amazon-bedrock:aws-sdk')?.blocks.map((b) => ({ scope: b.scope, reason: b.reason })) ?? []
}

for (const c of CASES) {
  t.test(`HTTP ${c.status} ${c.type} → ${c.expect === 'failover' ? 'the fallback answers' : `the client gets ${c.expect}`}`, async (t) => {
    const { gw, bedrock, openai } = await setupBedrock(t)
    bedrock.reply({ kind: 'error', status: c.status, type: c.type, message: c.message, via: c.via ?? 'header' })
    const res = await gw.chat(HI)
    const body = await res.json() as { choices?: Array<{ message: { content: string } }>, error?: { message: string } }
    if (c.expect === 'failover') {
      t.equal(res.status, 200)
      t.equal(res.headers.get('x-rotor-model'), 'openai/gpt-5-mini')
      t.equal(body.choices?.[0].message.content, 'from openai')
    } else {
      t.equal(res.status, c.expect)
      t.match(body.error?.message, c.message)
      t.equal(openai.requests.length, 0, 'no failover for the client\'s own mistake')
    }
    t.strictSame(await bedrockBlocks(gw), c.block === undefined ? [] : [c.block])
  })
}

t.test('a ValidationException saying the model id is invalid moves on to the next model without a cooldown', async (t) => {
  const { gw, bedrock } = await setupBedrock(t)
  bedrock.reply({ kind: 'error', status: 400, type: 'ValidationException', message: 'The provided model identifier is invalid.' })
  const res = await gw.chat(HI)
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'openai/gpt-5-mini')
  t.strictSame(await bedrockBlocks(gw), [])
})

t.test('an expired session token is replaced once from the chain; when it stays expired the fallback answers', async (t) => {
  const { gw, bedrock } = await setupBedrock(t)
  bedrock.expire(KEYS.accessKeyId)
  const res = await gw.chat(HI)
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'openai/gpt-5-mini')
  t.equal(bedrock.requests.length, 2, 'one retry with credentials fetched again')
  t.strictSame(await bedrockBlocks(gw), [{ scope: 'profile', reason: 'auth' }])
})

t.test('a signature made with the wrong secret is refused by the fake and fails over as auth', async (t) => {
  const { gw, bedrock } = await setupBedrock(t, { accepted: [{ accessKeyId: KEYS.accessKeyId, secretAccessKey: 'another-secret-entirely' }] })
  const res = await gw.chat(HI)
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-rotor-model'), 'openai/gpt-5-mini')
  t.match(bedrock.violations, [/^InvalidSignatureException: The request signature we calculated does not match/])
  t.strictSame(await bedrockBlocks(gw), [{ scope: 'profile', reason: 'auth' }])
})

const STREAM_CASES: ReadonlyArray<{ exception: string, block: { scope: string, reason: string } }> = [
  { exception: 'throttlingException', block: { scope: 'model', reason: 'rate_limit' } },
  { exception: 'serviceUnavailableException', block: { scope: 'profile', reason: 'unknown' } },
  { exception: 'modelStreamErrorException', block: { scope: 'profile', reason: 'unknown' } },
  { exception: 'internalServerException', block: { scope: 'profile', reason: 'unknown' } },
]

for (const c of STREAM_CASES) {
  t.test(`a ${c.exception} frame before any output fails over, and the client sees one clean stream`, async (t) => {
    const { gw, bedrock, openai } = await setupBedrock(t)
    const reply: FakeBedrockReply = { kind: 'stream', items: [converseStream({ blocks: [] })[0], { exception: c.exception, message: 'Too many tokens, please wait' }] }
    bedrock.reply(reply)
    const res = await gw.chat({ ...HI, stream: true })
    const text = await res.text()
    t.equal(res.status, 200)
    t.equal(res.headers.get('x-rotor-model'), 'openai/gpt-5-mini')
    t.match(text, /from openai/)
    t.match(text, /data: \[DONE\]/)
    t.equal(openai.requests.length, 1)
    t.strictSame(await bedrockBlocks(gw), [c.block])
  })
}

t.test('a validationException frame before any output is returned to the client as a 400', async (t) => {
  const { gw, bedrock, openai } = await setupBedrock(t)
  bedrock.reply({ kind: 'stream', items: [{ exception: 'validationException', message: 'messages.0: too many images' }] })
  const res = await gw.chat({ ...HI, stream: true })
  t.equal(res.status, 400)
  t.match((await res.json() as { error: { message: string } }).error.message, /ValidationException: messages\.0: too many images/)
  t.equal(openai.requests.length, 0)
})

t.test('an exception frame after output ends the client stream with an error event and cools the profile', async (t) => {
  const { gw, bedrock } = await setupBedrock(t)
  const items = converseStream({ blocks: [{ type: 'text', parts: ['Once upon', ' a time'] }] }).slice(0, 3)
  items.push({ exception: 'throttlingException', message: 'Too many tokens, please wait' })
  const release = gate()
  bedrock.reply({ kind: 'stream', items, gate: { after: 3, release: release.promise } })
  const res = await gw.chat({ model: REF, stream: true, messages: [{ role: 'user', content: 'story' }] })
  t.equal(res.status, 200, 'committed with the first output')
  release.open()
  const text = await res.text()
  t.match(text, /"content":"Once upon"/)
  const last = text.split('\n\n').filter(Boolean).at(-1) ?? ''
  t.match(last, /^data: \{"error":\{.*ThrottlingException: Too many tokens/)
  t.notMatch(text, /\[DONE\]/)
  t.strictSame(await bedrockBlocks(gw), [{ scope: 'model', reason: 'rate_limit' }], 'the late error is recorded against the profile')
})

t.test('a stream cut before messageStop ends with an error event, never a clean [DONE]', async (t) => {
  const { gw, bedrock } = await setupBedrock(t)
  const release = gate()
  bedrock.reply({ kind: 'stream', items: converseStream({ blocks: [{ type: 'text', parts: ['Once', ' upon'] }] }), cutAfter: 3, gate: { after: 2, release: release.promise } })
  const res = await gw.chat({ model: REF, stream: true, messages: [{ role: 'user', content: 'story' }] })
  t.equal(res.status, 200)
  release.open()
  const text = await res.text()
  t.match(text, /"content":"Once"/)
  t.notMatch(text, /\[DONE\]/)
  t.match(text.split('\n\n').filter(Boolean).at(-1) ?? '', /^data: \{"error":/)
})
