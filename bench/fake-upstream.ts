// Fake OpenAI upstream for the bench: canned answers, written at once, no timers,
// so the numbers measure the proxies and not the upstream.
// Standalone: `node bench/fake-upstream.ts [--host H] [--port N]` prints {"port":N}.
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { isMain } from './lib/is-main.ts'
import { encodeEventFrame } from '../src/providers/bedrock/eventstream.ts'

export interface RunningServer {
  port: number
  close(): Promise<void>
}

const CREATED = 1767225600

// ~400 bytes, a realistic non-stream answer with usage.
export const COMPLETION_BODY = Buffer.from(JSON.stringify({
  id: 'chatcmpl-bench0000000000000000000000001',
  object: 'chat.completion',
  created: CREATED,
  model: 'm1',
  system_fingerprint: 'fp_bench',
  choices: [{
    index: 0,
    message: { role: 'assistant', content: 'Hello from the fake upstream, a fixed bench answer.', refusal: null },
    logprobs: null,
    finish_reason: 'stop',
  }],
  usage: { prompt_tokens: 12, completion_tokens: 18, total_tokens: 30, prompt_tokens_details: { cached_tokens: 0 } },
}))

function chunk(delta: Record<string, unknown>, finish: string | null, usage?: Record<string, number>): string {
  const body: Record<string, unknown> = {
    id: 'chatcmpl-bench0000000000000000000000002',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'm1',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  }
  if (usage) body.usage = usage
  return `data: ${JSON.stringify(body)}\n\n`
}

// Five chunks then [DONE]; the last carries finish_reason and usage like include_usage streams.
export const STREAM_EVENTS: readonly Buffer[] = [
  chunk({ role: 'assistant', content: '' }, null),
  chunk({ content: 'Hello' }, null),
  chunk({ content: ' from the' }, null),
  chunk({ content: ' fake upstream.' }, null),
  chunk({}, 'stop', { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 }),
  'data: [DONE]\n\n',
].map((s) => Buffer.from(s))

function wantsStream(raw: Buffer): boolean {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'))
    return typeof parsed === 'object' && parsed !== null && (parsed as { stream?: unknown }).stream === true
  } catch {
    return false
  }
}

/** Canned answer of one wire format: the SSE events when the body asks to stream, else the JSON. */
function answer(events: readonly Buffer[], json: Buffer): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const parts: Buffer[] = []
    req.on('data', (b: Buffer) => parts.push(b))
    req.on('end', () => {
      if (wantsStream(Buffer.concat(parts))) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
        for (const ev of events) res.write(ev)
        res.end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length })
      res.end(json)
    })
  }
}

// Anthropic Messages: the same answer in Anthropic's wire format (usage with cache fields).
export const MESSAGE_BODY = Buffer.from(JSON.stringify({
  id: 'msg_bench000000000000000001', type: 'message', role: 'assistant', model: 'm1',
  content: [{ type: 'text', text: 'Hello from the fake upstream, a fixed bench answer.' }],
  stop_reason: 'end_turn', stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 18, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
}))

function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`
}

export const MESSAGE_EVENTS: readonly Buffer[] = [
  event('message_start', { message: { id: 'msg_bench000000000000000002', type: 'message', role: 'assistant', model: 'm1', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } }),
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ' from the' } }),
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ' fake upstream.' } }),
  event('content_block_stop', { index: 0 }),
  event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } }),
  event('message_stop', {}),
].map((e) => Buffer.from(e))

// Cloud Code Assist (Antigravity): the same answer as GenerateContentResponses in the
// {response, traceId} envelope; SSE has no [DONE] (the stream ends at EOF).
function gemini(parts: string[], finish: boolean, id: string): Record<string, unknown> {
  const candidate: Record<string, unknown> = { content: { role: 'model', parts: parts.map((text) => ({ text })) } }
  const response: Record<string, unknown> = { candidates: [candidate], modelVersion: 'm1', responseId: id }
  if (finish) {
    candidate.finishReason = 'STOP'
    response.usageMetadata = { promptTokenCount: 12, candidatesTokenCount: 18, totalTokenCount: 30 }
  }
  return { response, traceId: 'trace-bench' }
}

export const GENERATE_BODY = Buffer.from(JSON.stringify(gemini(['Hello from the fake upstream, a fixed bench answer.'], true, 'resp-bench-1')))

export const GENERATE_EVENTS: readonly Buffer[] = [
  gemini(['Hello'], false, 'resp-bench-2'),
  gemini([' from the'], false, 'resp-bench-2'),
  gemini([' fake upstream.'], true, 'resp-bench-2'),
].map((e) => Buffer.from(`data: ${JSON.stringify(e)}\r\n\r\n`))


// Bedrock Converse: the same answer as JSON and as real event-stream frames.
export const CONVERSE_BODY = Buffer.from(JSON.stringify({
  output: { message: { role: 'assistant', content: [{ text: 'Hello from the fake upstream, a fixed bench answer.' }] } },
  stopReason: 'end_turn',
  usage: { inputTokens: 12, outputTokens: 18, totalTokens: 30, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
  metrics: { latencyMs: 1 },
}))

export const CONVERSE_FRAMES: readonly Buffer[] = [
  encodeEventFrame('messageStart', { role: 'assistant' }),
  encodeEventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hello' } }),
  encodeEventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' from the' } }),
  encodeEventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' fake upstream.' } }),
  encodeEventFrame('contentBlockStop', { contentBlockIndex: 0 }),
  encodeEventFrame('messageStop', { stopReason: 'end_turn' }),
  encodeEventFrame('metadata', { usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 }, metrics: { latencyMs: 1 } }),
].map((f) => Buffer.from(f))

/** A fixed answer whatever the body (Converse picks stream or not by path). */
function fixed(contentType: string, parts: readonly Buffer[]): (req: IncomingMessage, res: ServerResponse) => void {
  const length = parts.reduce((n, p) => n + p.length, 0)
  return (req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': contentType, ...(parts.length === 1 ? { 'content-length': length } : {}) })
      for (const p of parts) res.write(p)
      res.end()
    })
  }
}

// Endpoint table: one route per upstream wire format the bench measures.
const ROUTES: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  'POST /v1/chat/completions': answer(STREAM_EVENTS, COMPLETION_BODY),
  'POST /v1/messages': answer(MESSAGE_EVENTS, MESSAGE_BODY),
  'POST /v1/model/m1/converse': fixed('application/json', [CONVERSE_BODY]),
  'POST /v1/model/m1/converse-stream': fixed('application/vnd.amazon.eventstream', CONVERSE_FRAMES),
  'POST /v1/v1internal:streamGenerateContent': fixed('text/event-stream', GENERATE_EVENTS),
  'POST /v1/v1internal:generateContent': fixed('application/json; charset=UTF-8', [GENERATE_BODY]),
}

function notFound(req: IncomingMessage, res: ServerResponse): void {
  req.resume()
  const body = JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: 'not_found' } })
  res.writeHead(404, { 'content-type': 'application/json' }).end(body)
}

export function startFakeUpstream(opts: { host?: string; port?: number } = {}): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const handler = ROUTES[`${req.method} ${path}`] ?? notFound
    handler(req, res)
  })
  server.keepAliveTimeout = 65_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        port,
        close: () => new Promise<void>((done) => {
          server.close(() => done())
          server.closeAllConnections()
        }),
      })
    })
  })
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({ options: { host: { type: 'string' }, port: { type: 'string' } } })
  const running = await startFakeUpstream({ host: values.host, port: values.port === undefined ? 0 : Number(values.port) })
  process.stdout.write(`${JSON.stringify({ port: running.port })}\n`)
  const stop = (): void => { void running.close().then(() => process.exit(0)) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
