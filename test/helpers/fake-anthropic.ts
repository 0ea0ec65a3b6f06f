// A fake Anthropic Messages API on 127.0.0.1:0. It checks every request the way the real API
// does (headers, auth mode, body shape, block rules) and answers with scripted replies:
// JSON bodies, error statuses, or SSE transcripts sent as real chunks (optionally split into
// tiny pieces, held at a gate, or cut off). A request that breaks a rule gets a 400/401 like
// Anthropic's and is recorded in `violations`, so tests can assert there were none.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { playWire, type WireScript } from './wire-script.ts'

export const CLAUDE_CODE_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."

export interface SseEvent { readonly event: string, readonly data: unknown }

export type FakeReply =
  /** Hostile behaviour: drip, stall, reset at a byte, raw bytes (see wire-script.ts). */
  | { readonly kind: 'wire', readonly script: WireScript }
  | { readonly kind: 'json', readonly status?: number, readonly headers?: Record<string, string>, readonly body: unknown }
  | {
      readonly kind: 'sse'
      readonly events: readonly SseEvent[]
      /** Split the encoded stream into pieces of this many bytes (exercises reassembly). */
      readonly chunkSize?: number
      /** Stop after this many events and wait for `release` before sending the rest. */
      readonly gate?: { readonly after: number, readonly release: Promise<void> }
      /** Destroy the socket after this many events (upstream dies mid-stream). */
      readonly cutAfter?: number
      /** Send the whole transcript in one write (one network chunk). */
      readonly oneWrite?: boolean
    }

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: unknown
}

export interface FakeAnthropic {
  /** Base URL including `/v1`, as a provider's baseUrl. */
  readonly baseUrl: string
  readonly requests: RecordedRequest[]
  readonly violations: string[]
  /** Responses not yet closed (a hung-up client's request no longer counts). */
  openResponses (): number
  /** Queue replies, used in order by the next requests. */
  reply: (...replies: FakeReply[]) => void
  close: () => Promise<void>
}

export interface FakeAnthropicOptions {
  /** Accepted x-api-key values; any non-empty key when omitted. */
  readonly apiKeys?: readonly string[]
  /** Accepted bearer tokens; any `sk-ant-oat…` token when omitted. */
  readonly oauthTokens?: readonly string[]
}

export function errorBody (type: string, message: string): unknown {
  return { type: 'error', error: { type, message }, request_id: 'req_011CTestFake' }
}

export async function startFakeAnthropic (opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = []
  const violations: string[] = []
  const queue: FakeReply[] = []

  let open = 0
  const server = createServer((req, res) => {
    open++
    res.once('close', () => { open-- })
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8')
      let body: unknown
      try { body = JSON.parse(text) } catch { body = undefined }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const authProblem = checkAuth(req, opts)
      if (authProblem !== undefined) {
        violations.push(authProblem)
        return sendJson(res, 401, errorBody('authentication_error', authProblem))
      }
      const problems = [...checkRequestLine(req), ...checkHeaders(req), ...checkBody(body, isBearer(req))]
      if (problems.length > 0) {
        violations.push(...problems)
        return sendJson(res, 400, errorBody('invalid_request_error', problems.join('; ')))
      }
      const next = queue.shift()
      if (next === undefined) return sendJson(res, 500, errorBody('api_error', 'fake-anthropic: no scripted reply'))
      if (next.kind === 'wire') return void playWire(res, next.script)
      if (next.kind === 'json') return sendJson(res, next.status ?? 200, next.body, next.headers)
      void sendSse(res, next)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    violations,
    openResponses: () => open,
    reply: (...replies) => { queue.push(...replies) },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_011CTestFake', ...headers })
  res.end(text)
}

export function encodeEvent (e: SseEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`
}

async function sendSse (res: ServerResponse, reply: Extract<FakeReply, { kind: 'sse' }>): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_011CTestFake' })
  const write = async (text: string): Promise<void> => {
    const bytes = Buffer.from(text)
    const size = reply.chunkSize ?? bytes.length
    for (let i = 0; i < bytes.length; i += size) {
      if (!res.write(bytes.subarray(i, i + size))) await new Promise((resolve) => res.once('drain', resolve))
      // Separate writes so the pieces travel as separate chunks.
      if (reply.chunkSize !== undefined) await new Promise((resolve) => setImmediate(resolve))
    }
  }
  if (reply.oneWrite === true) {
    res.end(reply.events.map(encodeEvent).join(''))
    return
  }
  for (let i = 0; i < reply.events.length; i++) {
    if (reply.gate !== undefined && i === reply.gate.after) await reply.gate.release
    if (reply.cutAfter !== undefined && i === reply.cutAfter) { res.destroy(); return }
    if (res.destroyed) return
    await write(encodeEvent(reply.events[i]))
  }
  res.end()
}

// ---- request checks -------------------------------------------------------------------------

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isBearer (req: IncomingMessage): boolean {
  return typeof req.headers.authorization === 'string'
}

function checkAuth (req: IncomingMessage, opts: FakeAnthropicOptions): string | undefined {
  const key = req.headers['x-api-key']
  const auth = req.headers.authorization
  if (typeof auth === 'string') {
    if (key !== undefined) return 'send either x-api-key or Authorization, not both'
    const token = /^Bearer (.+)$/.exec(auth)?.[1]
    if (token === undefined || !token.startsWith('sk-ant-oat')) return 'invalid bearer token'
    if (opts.oauthTokens !== undefined && !opts.oauthTokens.includes(token)) return 'invalid bearer token'
    return undefined
  }
  if (typeof key !== 'string' || key === '') return 'x-api-key header is required'
  if (opts.apiKeys !== undefined && !opts.apiKeys.includes(key)) return 'invalid x-api-key'
  return undefined
}

function checkRequestLine (req: IncomingMessage): string[] {
  const out: string[] = []
  if (req.method !== 'POST') out.push(`method ${String(req.method)} (want POST)`)
  if (req.url !== '/v1/messages') out.push(`path ${String(req.url)} (want /v1/messages)`)
  return out
}

function checkHeaders (req: IncomingMessage): string[] {
  const h = req.headers
  const out: string[] = []
  if (h['content-type'] !== 'application/json') out.push(`content-type ${String(h['content-type'])}`)
  if (h['anthropic-version'] !== '2023-06-01') out.push('anthropic-version: header is required (2023-06-01)')
  if (isBearer(req)) {
    const betas = String(h['anthropic-beta'] ?? '').split(',').map((s) => s.trim())
    if (!betas.includes('oauth-2025-04-20')) out.push('anthropic-beta must include oauth-2025-04-20 with OAuth')
    if (!betas.includes('claude-code-20250219')) out.push('anthropic-beta must include claude-code-20250219 with OAuth')
    if (!String(h['user-agent'] ?? '').startsWith('claude-cli/')) out.push('user-agent must be claude-cli/<version> with OAuth')
    if (h['x-app'] !== 'cli') out.push('x-app: cli is required with OAuth')
  }
  return out
}

const TOP_LEVEL = new Set([
  'model', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences', 'stream',
  'temperature', 'top_p', 'top_k', 'tools', 'tool_choice', 'thinking',
])
const MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/

/** Checks a body as the Messages API would; returns every problem found. */
export function checkBody (body: unknown, bearer: boolean): string[] {
  const out: string[] = []
  if (!isRecord(body)) return ['body must be a JSON object']
  for (const k of Object.keys(body)) if (!TOP_LEVEL.has(k)) out.push(`${k}: Extra inputs are not permitted`)
  if (typeof body.model !== 'string' || body.model === '') out.push('model: Field required')
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) out.push('max_tokens: Field required (positive integer)')
  if (body.stream !== undefined && typeof body.stream !== 'boolean') out.push('stream: must be a boolean')
  checkSystem(body.system, bearer, out)
  checkMessages(body.messages, out)
  checkSampling(body, out)
  checkTools(body, out)
  if (body.metadata !== undefined) {
    if (!isRecord(body.metadata) || Object.keys(body.metadata).some((k) => k !== 'user_id') || typeof body.metadata.user_id !== 'string') {
      out.push('metadata: only {user_id: string} is allowed')
    }
  }
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string' && s.trim() !== '')) {
      out.push('stop_sequences: each must be a non-empty string')
    }
  }
  return out
}

function checkSystem (system: unknown, bearer: boolean, out: string[]): void {
  if (system === undefined) {
    if (bearer) out.push(`system: first block must be "${CLAUDE_CODE_IDENTITY}" with OAuth`)
    return
  }
  if (typeof system === 'string') {
    if (bearer) out.push('system: must be an array whose first block is the Claude Code identity with OAuth')
    return
  }
  if (!Array.isArray(system) || system.length === 0) { out.push('system: must be a string or a non-empty array'); return }
  system.forEach((b, i) => checkTextBlock(b, `system.${i}`, out))
  if (bearer && !(isRecord(system[0]) && system[0].text === CLAUDE_CODE_IDENTITY)) {
    out.push('system.0: This credential is only authorized for use with Claude Code')
  }
}

function checkTextBlock (b: unknown, at: string, out: string[]): void {
  if (!isRecord(b) || b.type !== 'text') { out.push(`${at}: must be a text block`); return }
  if (typeof b.text !== 'string' || b.text === '') out.push(`${at}.text: text content blocks must be non-empty`)
  for (const k of Object.keys(b)) if (!['type', 'text', 'cache_control', 'citations'].includes(k)) out.push(`${at}.${k}: Extra inputs are not permitted`)
  if (b.cache_control !== undefined && !(isRecord(b.cache_control) && b.cache_control.type === 'ephemeral')) {
    out.push(`${at}.cache_control: must be {type:"ephemeral"}`)
  }
}

function checkImage (b: Record<string, unknown>, at: string, out: string[]): void {
  const s = b.source
  if (!isRecord(s)) { out.push(`${at}.source: Field required`); return }
  if (s.type === 'base64') {
    if (typeof s.media_type !== 'string' || !MEDIA_TYPES.has(s.media_type)) out.push(`${at}.source.media_type: unsupported ${String(s.media_type)}`)
    if (typeof s.data !== 'string' || s.data === '' || !/^[A-Za-z0-9+/]+=*$/.test(s.data)) out.push(`${at}.source.data: invalid base64`)
    if (Object.keys(s).length !== 3) out.push(`${at}.source: unexpected fields`)
  } else if (s.type === 'url') {
    if (typeof s.url !== 'string' || !/^https?:\/\//.test(s.url)) out.push(`${at}.source.url: must be an http(s) URL`)
    if (Object.keys(s).length !== 2) out.push(`${at}.source: unexpected fields`)
  } else {
    out.push(`${at}.source.type: must be base64 or url`)
  }
}

function checkMessages (messages: unknown, out: string[]): void {
  if (!Array.isArray(messages) || messages.length === 0) { out.push('messages: must be a non-empty array'); return }
  let pendingToolUse: string[] = []
  messages.forEach((m: unknown, i) => {
    const at = `messages.${i}`
    if (!isRecord(m)) { out.push(`${at}: must be an object`); return }
    for (const k of Object.keys(m)) if (k !== 'role' && k !== 'content') out.push(`${at}.${k}: Extra inputs are not permitted`)
    const want = i % 2 === 0 ? 'user' : 'assistant'
    if (m.role !== want) out.push(`${at}.role: roles must alternate user/assistant starting with user (got ${String(m.role)})`)
    const content = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content
    if (!Array.isArray(content) || content.length === 0) { out.push(`${at}.content: must be a non-empty string or array`); return }
    const toolUses: string[] = []
    const results: string[] = []
    let seenOther = false
    let seenNonThinking = false
    content.forEach((b: unknown, j) => {
      const bat = `${at}.content.${j}`
      if (!isRecord(b)) { out.push(`${bat}: must be an object`); return }
      switch (b.type) {
        case 'text': checkTextBlock(b, bat, out); seenOther = true; seenNonThinking = true; break
        case 'image':
          if (m.role !== 'user') out.push(`${bat}: images are only allowed in user turns`)
          checkImage(b, bat, out); seenOther = true; break
        case 'tool_use':
          if (m.role !== 'assistant') out.push(`${bat}: tool_use is only allowed in assistant turns`)
          if (typeof b.id !== 'string' || typeof b.name !== 'string' || !TOOL_NAME.test(b.name) || !isRecord(b.input)) {
            out.push(`${bat}: tool_use needs id, name and an object input`)
          } else toolUses.push(b.id)
          seenNonThinking = true
          break
        case 'tool_result':
          if (m.role !== 'user') out.push(`${bat}: tool_result is only allowed in user turns`)
          if (seenOther) out.push(`${bat}: tool_result blocks must come first in the user turn`)
          if (typeof b.tool_use_id !== 'string') out.push(`${bat}.tool_use_id: Field required`)
          else results.push(b.tool_use_id)
          if (b.content !== undefined && typeof b.content !== 'string') {
            if (!Array.isArray(b.content)) out.push(`${bat}.content: must be a string or blocks`)
            else b.content.forEach((c: unknown, k) => {
              if (isRecord(c) && c.type === 'image') checkImage(c, `${bat}.content.${k}`, out)
              else checkTextBlock(c, `${bat}.content.${k}`, out)
            })
          }
          break
        case 'thinking':
        case 'redacted_thinking':
          if (m.role !== 'assistant') out.push(`${bat}: thinking is only allowed in assistant turns`)
          if (seenNonThinking) out.push(`${bat}: thinking blocks must come first in the assistant turn`)
          if (b.type === 'thinking' && (typeof b.thinking !== 'string' || typeof b.signature !== 'string' || b.signature === '')) {
            out.push(`${bat}: thinking blocks need thinking and a signature`)
          }
          if (b.type === 'redacted_thinking' && typeof b.data !== 'string') out.push(`${bat}.data: Field required`)
          break
        default:
          out.push(`${bat}.type: unknown block type ${String(b.type)}`)
      }
    })
    if (m.role === 'user') {
      for (const id of pendingToolUse) if (!results.includes(id)) out.push(`${at}: tool_use ids were found without tool_result blocks immediately after: ${id}`)
      for (const id of results) if (!pendingToolUse.includes(id)) out.push(`${at}: unexpected tool_use_id found in tool_result blocks: ${id}`)
    }
    pendingToolUse = m.role === 'assistant' ? toolUses : []
  })
  if (pendingToolUse.length > 0 && messages.length > 0) {
    // A final assistant turn with tool_use is allowed only as a prefill, which rotor never sends.
    out.push('messages: the last assistant turn has tool_use blocks without results')
  }
}

function checkSampling (body: Record<string, unknown>, out: string[]): void {
  const t = body.temperature
  if (t !== undefined && (typeof t !== 'number' || t < 0 || t > 1)) out.push('temperature: must be between 0 and 1')
  const p = body.top_p
  if (p !== undefined && (typeof p !== 'number' || p < 0 || p > 1)) out.push('top_p: must be between 0 and 1')
  if (t !== undefined && p !== undefined) out.push('`temperature` and `top_p` cannot both be specified for this model')
  const th = body.thinking
  if (th === undefined) return
  if (!isRecord(th)) { out.push('thinking: must be an object'); return }
  if (th.type === 'disabled') return
  if (th.type !== 'enabled') { out.push('thinking.type: must be enabled or disabled'); return }
  const budget = th.budget_tokens
  if (!Number.isInteger(budget) || (budget as number) < 1024) out.push('thinking.budget_tokens: must be ≥ 1024')
  else if (typeof body.max_tokens === 'number' && (budget as number) >= body.max_tokens) out.push('max_tokens must be greater than thinking.budget_tokens')
  if (t !== undefined && t !== 1) out.push('temperature may only be set to 1 when thinking is enabled')
  if (body.top_k !== undefined) out.push('top_k must be unset when thinking is enabled')
  if (isRecord(body.tool_choice) && (body.tool_choice.type === 'any' || body.tool_choice.type === 'tool')) {
    out.push('Thinking may not be enabled when tool_choice forces tool use')
  }
}

function checkTools (body: Record<string, unknown>, out: string[]): void {
  const tools = body.tools
  if (tools !== undefined) {
    if (!Array.isArray(tools) || tools.length === 0) out.push('tools: must be a non-empty array')
    else tools.forEach((t: unknown, i) => {
      if (!isRecord(t)) { out.push(`tools.${i}: must be an object`); return }
      for (const k of Object.keys(t)) if (!['name', 'description', 'input_schema', 'cache_control'].includes(k)) out.push(`tools.${i}.${k}: Extra inputs are not permitted`)
      if (typeof t.name !== 'string' || !TOOL_NAME.test(t.name)) out.push(`tools.${i}.name: invalid`)
      if (!isRecord(t.input_schema) || t.input_schema.type !== 'object') out.push(`tools.${i}.input_schema.type: must be "object"`)
      if (t.description !== undefined && typeof t.description !== 'string') out.push(`tools.${i}.description: must be a string`)
    })
  }
  const choice = body.tool_choice
  if (choice === undefined) return
  if (tools === undefined) out.push('tool_choice: requires tools')
  if (!isRecord(choice) || !['auto', 'any', 'tool', 'none'].includes(String(choice.type))) { out.push('tool_choice.type: invalid'); return }
  if (choice.type === 'tool' && typeof choice.name !== 'string') out.push('tool_choice.name: Field required')
  if (choice.type !== 'tool' && choice.name !== undefined) out.push('tool_choice.name: only with type tool')
  if (choice.disable_parallel_tool_use !== undefined && typeof choice.disable_parallel_tool_use !== 'boolean') {
    out.push('tool_choice.disable_parallel_tool_use: must be a boolean')
  }
}

// ---- realistic transcripts ------------------------------------------------------------------

export interface UsageIn {
  readonly input?: number
  readonly output?: number
  readonly cacheRead?: number
  readonly cacheWrite?: number
}

export type ScriptBlock =
  | { readonly type: 'text', readonly parts: readonly string[] }
  | { readonly type: 'tool_use', readonly id: string, readonly name: string, readonly parts: readonly string[] }
  | { readonly type: 'thinking', readonly parts: readonly string[], readonly signature: string }
  | { readonly type: 'redacted_thinking', readonly data: string }

/** An SSE transcript shaped like the real API's: message_start, a ping, blocks, message_delta, message_stop. */
export function messageStream (opts: {
  readonly blocks: readonly ScriptBlock[]
  readonly stopReason?: string
  readonly model?: string
  readonly id?: string
  readonly usage?: UsageIn
}): SseEvent[] {
  const u = opts.usage ?? {}
  const events: SseEvent[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: opts.id ?? 'msg_01XFDUDYJgAACzvnptvVoYEL', type: 'message', role: 'assistant', content: [],
          model: opts.model ?? 'claude-sonnet-4-5-20250929', stop_reason: null, stop_sequence: null,
          usage: {
            input_tokens: u.input ?? 25, cache_creation_input_tokens: u.cacheWrite ?? 0,
            cache_read_input_tokens: u.cacheRead ?? 0, output_tokens: 1,
          },
        },
      },
    },
    { event: 'ping', data: { type: 'ping' } },
  ]
  opts.blocks.forEach((b, index) => {
    switch (b.type) {
      case 'text':
        events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } } })
        for (const text of b.parts) events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text } } })
        break
      case 'tool_use':
        events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } } })
        events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } } })
        for (const partial of b.parts) events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } } })
        break
      case 'thinking':
        events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '' } } })
        for (const thinking of b.parts) events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } } })
        events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: b.signature } } })
        break
      case 'redacted_thinking':
        events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: b.data } } })
        break
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } })
  })
  events.push(
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: opts.stopReason ?? 'end_turn', stop_sequence: null }, usage: { output_tokens: u.output ?? 15 } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  )
  return events
}

export function errorEvent (type: string, message: string): SseEvent {
  return { event: 'error', data: { type: 'error', error: { type, message } } }
}

/** A non-stream Messages response body. */
export function messageBody (opts: {
  readonly content: readonly Record<string, unknown>[]
  readonly stopReason?: string
  readonly model?: string
  readonly usage?: UsageIn
}): Record<string, unknown> {
  const u = opts.usage ?? {}
  return {
    id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF', type: 'message', role: 'assistant',
    model: opts.model ?? 'claude-sonnet-4-5-20250929', content: opts.content,
    stop_reason: opts.stopReason ?? 'end_turn', stop_sequence: null,
    usage: {
      input_tokens: u.input ?? 25, cache_creation_input_tokens: u.cacheWrite ?? 0,
      cache_read_input_tokens: u.cacheRead ?? 0, output_tokens: u.output ?? 15,
    },
  }
}
