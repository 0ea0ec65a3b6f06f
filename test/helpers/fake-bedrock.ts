// A fake Amazon Bedrock (runtime and control plane) on 127.0.0.1:0. It checks each request's
// SigV4 signature with an independent implementation (the `aws4` package, not the AWS SDK
// signer rotor uses) or its Bedrock API key, checks Converse bodies the way the real API does,
// and answers with scripted replies: JSON, HTTP errors (type in `x-amzn-errortype` or the
// body's `__type`), or ConverseStream transcripts as real `application/vnd.amazon.eventstream`
// frames (optionally split into tiny pieces, cut off, or with an exception frame). A request
// that breaks a rule is answered like Bedrock would and recorded in `violations`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import aws4 from 'aws4'
import { encodeEventFrame, encodeExceptionFrame } from '../../src/providers/bedrock/eventstream.ts'

export interface FakeCredentials { readonly accessKeyId: string, readonly secretAccessKey: string, readonly sessionToken?: string }

export type StreamItem =
  | { readonly event: string, readonly payload: unknown }
  | { readonly exception: string, readonly message: string }

export type FakeBedrockReply =
  | { readonly kind: 'json', readonly status?: number, readonly headers?: Record<string, string>, readonly body: unknown }
  /** An AWS error: the type in `x-amzn-errortype` (default) or only in the body's `__type`. */
  | { readonly kind: 'error', readonly status: number, readonly type: string, readonly message: string, readonly via?: 'header' | 'body', readonly headers?: Record<string, string> }
  | {
      readonly kind: 'stream'
      readonly items: readonly StreamItem[]
      /** Split the frames into pieces of this many bytes (exercises reassembly). */
      readonly chunkSize?: number
      /** Destroy the socket after this many items. */
      readonly cutAfter?: number
      /** Stop after this many items and wait for `release` before sending the rest. */
      readonly gate?: { readonly after: number, readonly release: Promise<void> }
    }

export interface SeenAuth { readonly kind: 'sigv4' | 'bearer' | 'none', readonly id: string }

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: unknown
  readonly auth: SeenAuth
}

export interface FakeBedrock {
  /** Origin without a path, as a provider's baseUrl. */
  readonly baseUrl: string
  readonly requests: RecordedRequest[]
  readonly violations: string[]
  /** Queue replies, used in order by the next Converse requests. */
  reply: (...replies: FakeBedrockReply[]) => void
  /** Accept these credentials from now on. */
  allow: (creds: FakeCredentials) => void
  /** Answer ExpiredTokenException for this access key from now on. */
  expire: (accessKeyId: string) => void
  close: () => Promise<void>
}

export interface FakeBedrockOptions {
  readonly credentials?: readonly FakeCredentials[]
  readonly apiKeys?: readonly string[]
  /** Region every signature must be scoped to. */
  readonly region?: string
  readonly foundationModels?: readonly Record<string, unknown>[]
  readonly inferenceProfiles?: readonly Record<string, unknown>[]
  /** Control-plane page size (pagination with nextToken). */
  readonly pageSize?: number
}

const REQUEST_ID = 'b1d7e0a4-5c2b-4e9f-9a51-3f0c2d7e8a11'

export async function startFakeBedrock (opts: FakeBedrockOptions = {}): Promise<FakeBedrock> {
  const requests: RecordedRequest[] = []
  const violations: string[] = []
  const queue: FakeBedrockReply[] = []
  const creds = new Map<string, FakeCredentials>((opts.credentials ?? []).map((c) => [c.accessKeyId, c]))
  const expired = new Set<string>()

  const server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8')
      let body: unknown
      try { body = JSON.parse(text) } catch { body = undefined }
      const auth = checkAuth(req, text, creds, expired, opts)
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, auth: auth.seen })
      if (auth.error !== undefined) {
        violations.push(`${auth.error.type}: ${auth.error.message}`)
        return sendError(res, auth.error.status, auth.error.type, auth.error.message)
      }
      const url = new URL(req.url ?? '/', 'http://x')
      if (req.method === 'GET' && url.pathname === '/foundation-models') return sendPage(res, url, 'modelSummaries', opts.foundationModels ?? [], opts.pageSize)
      if (req.method === 'GET' && url.pathname === '/inference-profiles') return sendPage(res, url, 'inferenceProfileSummaries', opts.inferenceProfiles ?? [], opts.pageSize)
      const route = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(url.pathname)
      if (req.method !== 'POST' || route === null) {
        violations.push(`unknown operation ${String(req.method)} ${url.pathname}`)
        return sendError(res, 404, 'UnknownOperationException', 'Unknown operation')
      }
      const problems = checkConverse(body)
      if (problems.length > 0) {
        violations.push(...problems)
        return sendError(res, 400, 'ValidationException', problems.join('; '))
      }
      const next = queue.shift()
      if (next === undefined) return sendError(res, 500, 'InternalServerException', 'fake-bedrock: no scripted reply')
      if (next.kind === 'json') return sendJson(res, next.status ?? 200, next.body, next.headers)
      if (next.kind === 'error') return sendError(res, next.status, next.type, next.message, next.via, next.headers)
      if (route[2] !== 'converse-stream') {
        violations.push('a stream reply was scripted for a non-stream request')
        return sendError(res, 500, 'InternalServerException', 'fake-bedrock: stream reply for /converse')
      }
      void sendStream(res, next)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    violations,
    reply: (...replies) => { queue.push(...replies) },
    allow: (c) => { creds.set(c.accessKeyId, c) },
    expire: (id) => { expired.add(id) },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

// ---- answers --------------------------------------------------------------------------------

function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': REQUEST_ID, ...headers })
  res.end(JSON.stringify(body))
}

function sendError (res: ServerResponse, status: number, type: string, message: string, via: 'header' | 'body' = 'header', headers: Record<string, string> = {}): void {
  if (via === 'header') {
    sendJson(res, status, { message }, { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, ...headers })
  } else {
    sendJson(res, status, { __type: `com.amazon.coral.service#${type}`, message }, headers)
  }
}

function sendPage (res: ServerResponse, url: URL, key: string, all: readonly unknown[], pageSize = 1000): void {
  const start = Number(url.searchParams.get('nextToken') ?? '0')
  const page = all.slice(start, start + pageSize)
  const next = start + pageSize < all.length ? String(start + pageSize) : undefined
  sendJson(res, 200, { [key]: page, ...(next !== undefined ? { nextToken: next } : {}) })
}

/** The frame of one stream item. */
export function encodeItem (item: StreamItem): Uint8Array {
  return 'event' in item ? encodeEventFrame(item.event, item.payload) : encodeExceptionFrame(item.exception, item.message)
}

async function sendStream (res: ServerResponse, reply: Extract<FakeBedrockReply, { kind: 'stream' }>): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': REQUEST_ID })
  for (let i = 0; i <= reply.items.length; i++) {
    if (reply.gate !== undefined && i === reply.gate.after) await reply.gate.release
    if (reply.cutAfter !== undefined && i === reply.cutAfter) { res.destroy(); return }
    if (i === reply.items.length) break
    if (res.destroyed) return
    const bytes = Buffer.from(encodeItem(reply.items[i]))
    const size = reply.chunkSize ?? bytes.length
    for (let j = 0; j < bytes.length; j += size) {
      if (!res.write(bytes.subarray(j, j + size))) await new Promise((resolve) => res.once('drain', resolve))
      // Separate writes so the pieces travel as separate chunks.
      if (reply.chunkSize !== undefined) await new Promise((resolve) => setImmediate(resolve))
    }
  }
  res.end()
}

// ---- auth -----------------------------------------------------------------------------------

interface AuthCheck {
  readonly seen: SeenAuth
  readonly error?: { status: number, type: string, message: string }
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/

function header (req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return typeof v === 'string' ? v : undefined
}

function checkAuth (req: IncomingMessage, body: string, creds: ReadonlyMap<string, FakeCredentials>, expired: ReadonlySet<string>, opts: FakeBedrockOptions): AuthCheck {
  const auth = header(req, 'authorization') ?? ''
  if (auth.startsWith('Bearer ')) {
    const token = auth.slice(7)
    const ok = (opts.apiKeys ?? []).includes(token)
    return ok ? { seen: { kind: 'bearer', id: token } } : { seen: { kind: 'bearer', id: token }, error: { status: 403, type: 'UnrecognizedClientException', message: 'Invalid API Key format: Must start with pre-defined prefix' } }
  }
  const m = AUTHORIZATION.exec(auth)
  if (m === null) return { seen: { kind: 'none', id: '' }, error: { status: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' } }
  const [, keyId, day, region, service, signedHeaders] = m
  const seen: SeenAuth = { kind: 'sigv4', id: keyId }
  const cred = creds.get(keyId)
  if (cred === undefined) return { seen, error: { status: 403, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' } }
  if (expired.has(keyId)) return { seen, error: { status: 403, type: 'ExpiredTokenException', message: 'The security token included in the request is expired' } }
  const problems: string[] = []
  if (service !== 'bedrock') problems.push(`credential scope service ${service} (want bedrock)`)
  if (opts.region !== undefined && region !== opts.region) problems.push(`credential scope region ${region} (want ${opts.region})`)
  const amzDate = header(req, 'x-amz-date') ?? ''
  if (!amzDate.startsWith(day)) problems.push('x-amz-date does not match the credential scope date')
  if (header(req, 'x-amz-security-token') !== cred.sessionToken) problems.push('x-amz-security-token does not match the session token')
  const names = signedHeaders.split(';')
  for (const required of ['host', 'x-amz-date']) if (!names.includes(required)) problems.push(`${required} is not signed`)
  if (cred.sessionToken !== undefined && !names.includes('x-amz-security-token')) problems.push('x-amz-security-token is not signed')
  const headers: Record<string, string> = {}
  for (const n of names) {
    const v = header(req, n)
    if (v === undefined) problems.push(`signed header ${n} was not sent`)
    else headers[n] = v
  }
  if (problems.length > 0) return { seen, error: { status: 403, type: 'InvalidSignatureException', message: problems.join('; ') } }
  // aws4 takes the signing time from a Date header or its own clock, never from x-amz-date:
  // give it the request's own time, or a request signed at the end of one second fails here
  // when it is checked in the next.
  const signer = new aws4.RequestSigner({
    method: req.method, host: header(req, 'host'), path: req.url, service, region, headers, body, doNotModifyHeaders: true,
  }, { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey, ...(cred.sessionToken !== undefined ? { sessionToken: cred.sessionToken } : {}) })
  signer.datetime = amzDate
  const expected = signer.sign()
  const want = (expected.headers as Record<string, string> | undefined)?.Authorization
  if (want !== auth) {
    return { seen, error: { status: 403, type: 'InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided.' } }
  }
  return { seen }
}

// ---- Converse body checks -------------------------------------------------------------------

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const TOP_LEVEL = new Set(['messages', 'system', 'inferenceConfig', 'toolConfig', 'additionalModelRequestFields', 'guardrailConfig', 'performanceConfig', 'promptVariables', 'requestMetadata', 'additionalModelResponseFieldPaths'])
const FORMATS = new Set(['png', 'jpeg', 'gif', 'webp'])
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/
const BLOCK_KEYS = ['text', 'image', 'toolUse', 'toolResult', 'reasoningContent', 'cachePoint', 'document', 'video', 'guardContent', 'json']

/** Checks a Converse body as the API would; returns every problem found. */
export function checkConverse (body: unknown): string[] {
  const out: string[] = []
  if (!isRecord(body)) return ['body must be a JSON object']
  for (const k of Object.keys(body)) if (!TOP_LEVEL.has(k)) out.push(`${k}: extraneous key is not permitted`)
  if (body.system !== undefined) {
    if (!Array.isArray(body.system)) out.push('system: must be a list')
    else body.system.forEach((b: unknown, i) => {
      if (!isRecord(b) || !(typeof b.text === 'string' || isRecord(b.cachePoint))) out.push(`system.${i}: must be {text} or {cachePoint}`)
      else if (typeof b.text === 'string' && b.text.trim() === '') out.push(`system.${i}.text: is blank`)
    })
  }
  const inf = body.inferenceConfig
  if (inf !== undefined) {
    if (!isRecord(inf)) out.push('inferenceConfig: must be an object')
    else {
      for (const k of Object.keys(inf)) if (!['maxTokens', 'temperature', 'topP', 'stopSequences'].includes(k)) out.push(`inferenceConfig.${k}: extraneous key`)
      if (inf.maxTokens !== undefined && !(Number.isInteger(inf.maxTokens) && (inf.maxTokens as number) >= 1)) out.push('inferenceConfig.maxTokens: must be ≥ 1')
      for (const k of ['temperature', 'topP']) if (inf[k] !== undefined && !(typeof inf[k] === 'number' && inf[k] >= 0 && inf[k] <= 1)) out.push(`inferenceConfig.${k}: must be within 0–1`)
    }
  }
  const tools = checkToolConfig(body.toolConfig, out)
  checkMessages(body.messages, tools, out)
  return out
}

function checkToolConfig (tc: unknown, out: string[]): boolean {
  if (tc === undefined) return false
  if (!isRecord(tc) || !Array.isArray(tc.tools) || tc.tools.length === 0) { out.push('toolConfig.tools: must be a non-empty list'); return true }
  tc.tools.forEach((t: unknown, i) => {
    if (isRecord(t) && isRecord(t.cachePoint)) return
    const spec = isRecord(t) ? t.toolSpec : undefined
    if (!isRecord(spec) || typeof spec.name !== 'string' || !TOOL_NAME.test(spec.name)) { out.push(`toolConfig.tools.${i}.toolSpec.name: invalid`); return }
    if (!isRecord(spec.inputSchema) || !isRecord(spec.inputSchema.json)) out.push(`toolConfig.tools.${i}.toolSpec.inputSchema.json: required`)
  })
  const c = tc.toolChoice
  if (c !== undefined && !(isRecord(c) && Object.keys(c).length === 1 && (isRecord(c.auto) || isRecord(c.any) || (isRecord(c.tool) && typeof c.tool.name === 'string')))) {
    out.push('toolConfig.toolChoice: must be one of auto, any, tool')
  }
  return true
}

function checkMessages (messages: unknown, tools: boolean, out: string[]): void {
  if (!Array.isArray(messages) || messages.length === 0) { out.push('messages: must be a non-empty list'); return }
  let pending: string[] = []
  messages.forEach((m: unknown, i) => {
    const at = `messages.${i}`
    if (!isRecord(m)) { out.push(`${at}: must be an object`); return }
    const want = i % 2 === 0 ? 'user' : 'assistant'
    if (m.role !== want) out.push(`${at}.role: A conversation must alternate between user and assistant roles, starting with user`)
    if (!Array.isArray(m.content) || m.content.length === 0) { out.push(`${at}.content: must be a non-empty list`); return }
    const uses: string[] = []
    const results: string[] = []
    m.content.forEach((b: unknown, j) => {
      const bat = `${at}.content.${j}`
      if (!isRecord(b)) { out.push(`${bat}: must be an object`); return }
      const keys = Object.keys(b)
      if (keys.length !== 1 || !BLOCK_KEYS.includes(keys[0])) { out.push(`${bat}: must have exactly one member of the ContentBlock union`); return }
      if (typeof b.text === 'string' && b.text.trim() === '') out.push(`${bat}.text: The text field in the ContentBlock object is blank`)
      if (isRecord(b.image)) {
        const img = b.image
        if (typeof img.format !== 'string' || !FORMATS.has(img.format)) out.push(`${bat}.image.format: invalid`)
        const bytes = isRecord(img.source) ? img.source.bytes : undefined
        if (typeof bytes !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(bytes)) out.push(`${bat}.image.source.bytes: must be base64`)
      }
      if (isRecord(b.toolUse)) {
        if (m.role !== 'assistant') out.push(`${bat}: toolUse only in assistant turns`)
        const u = b.toolUse
        if (typeof u.toolUseId !== 'string' || typeof u.name !== 'string' || !isRecord(u.input)) out.push(`${bat}.toolUse: needs toolUseId, name and an object input`)
        else uses.push(u.toolUseId)
      }
      if (isRecord(b.toolResult)) {
        if (m.role !== 'user') out.push(`${bat}: toolResult only in user turns`)
        const r = b.toolResult
        if (typeof r.toolUseId !== 'string') out.push(`${bat}.toolResult.toolUseId: required`)
        else results.push(r.toolUseId)
        if (!Array.isArray(r.content) || r.content.length === 0) out.push(`${bat}.toolResult.content: must be a non-empty list`)
      }
      if (isRecord(b.reasoningContent)) {
        if (m.role !== 'assistant') out.push(`${bat}: reasoningContent only in assistant turns`)
        const rc = b.reasoningContent
        if (isRecord(rc.reasoningText) && (typeof rc.reasoningText.text !== 'string' || typeof rc.reasoningText.signature !== 'string' || rc.reasoningText.signature === '')) {
          out.push(`${bat}.reasoningContent.reasoningText: needs text and a signature`)
        }
      }
    })
    if ((uses.length > 0 || results.length > 0) && !tools) out.push(`${at}: The toolConfig field must be defined when using toolUse and toolResult content blocks`)
    if (m.role === 'user') {
      for (const id of pending) if (!results.includes(id)) out.push(`${at}: toolUse ${id} has no toolResult in the next turn`)
    }
    pending = m.role === 'assistant' ? uses : []
  })
}

// ---- realistic transcripts ------------------------------------------------------------------

export interface UsageIn { readonly input?: number, readonly output?: number, readonly cacheRead?: number, readonly cacheWrite?: number }

export type ScriptBlock =
  | { readonly type: 'text', readonly parts: readonly string[] }
  | { readonly type: 'toolUse', readonly id: string, readonly name: string, readonly parts: readonly string[] }
  | { readonly type: 'reasoning', readonly parts: readonly string[], readonly signature: string }

function usageOf (u: UsageIn = {}): Record<string, number> {
  const input = u.input ?? 25
  const output = u.output ?? 15
  const cacheRead = u.cacheRead ?? 0
  const cacheWrite = u.cacheWrite ?? 0
  return { inputTokens: input, outputTokens: output, totalTokens: input + output + cacheRead + cacheWrite, cacheReadInputTokens: cacheRead, cacheWriteInputTokens: cacheWrite }
}

/** A ConverseStream transcript shaped like the real one: messageStart, blocks, messageStop, metadata. */
export function converseStream (opts: { readonly blocks: readonly ScriptBlock[], readonly stopReason?: string, readonly usage?: UsageIn }): StreamItem[] {
  const items: StreamItem[] = [{ event: 'messageStart', payload: { role: 'assistant', p: 'abcdefgh' } }]
  opts.blocks.forEach((b, contentBlockIndex) => {
    switch (b.type) {
      case 'text':
        for (const text of b.parts) items.push({ event: 'contentBlockDelta', payload: { contentBlockIndex, delta: { text }, p: 'abcd' } })
        break
      case 'toolUse':
        items.push({ event: 'contentBlockStart', payload: { contentBlockIndex, start: { toolUse: { toolUseId: b.id, name: b.name } } } })
        for (const input of b.parts) items.push({ event: 'contentBlockDelta', payload: { contentBlockIndex, delta: { toolUse: { input } } } })
        break
      case 'reasoning':
        for (const text of b.parts) items.push({ event: 'contentBlockDelta', payload: { contentBlockIndex, delta: { reasoningContent: { text } } } })
        items.push({ event: 'contentBlockDelta', payload: { contentBlockIndex, delta: { reasoningContent: { signature: b.signature } } } })
        break
    }
    items.push({ event: 'contentBlockStop', payload: { contentBlockIndex } })
  })
  items.push(
    { event: 'messageStop', payload: { stopReason: opts.stopReason ?? 'end_turn' } },
    { event: 'metadata', payload: { usage: usageOf(opts.usage), metrics: { latencyMs: 321 } } },
  )
  return items
}

/** A non-stream Converse response body. */
export function converseBody (opts: { readonly content: readonly Record<string, unknown>[], readonly stopReason?: string, readonly usage?: UsageIn }): Record<string, unknown> {
  return {
    output: { message: { role: 'assistant', content: opts.content } },
    stopReason: opts.stopReason ?? 'end_turn',
    usage: usageOf(opts.usage),
    metrics: { latencyMs: 321 },
  }
}
