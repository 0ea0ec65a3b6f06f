// A fake ChatGPT Codex backend (POST <base>/codex/responses) on 127.0.0.1:0. It checks every
// request strictly — the headers Codex needs and the restricted Responses body — and answers
// with scripted replies: Responses SSE transcripts (optionally cut off or held at a gate) or
// JSON/error bodies. A request that breaks a rule gets a 400 and lands in `violations`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { playWire, type WireScript } from '../../helpers/wire-script.ts'

export interface SseEvent { readonly event: string, readonly data: Record<string, unknown> }

export type FakeReply =
  /** Hostile behaviour: drip, stall, reset at a byte, raw bytes (see wire-script.ts). */
  | { readonly kind: 'wire', readonly script: WireScript }
  | { readonly kind: 'json', readonly status?: number, readonly headers?: Record<string, string>, readonly body: unknown }
  | {
      readonly kind: 'sse'
      readonly events: readonly SseEvent[]
      /** Split the encoded stream into pieces of this many bytes. */
      readonly chunkSize?: number
      /** Destroy the socket after this many events. */
      readonly cutAfter?: number
      /** Hold after this many events until `release` resolves. */
      readonly gate?: { readonly after: number, readonly release: Promise<void> }
      /** Send the whole transcript in one write (one network chunk). */
      readonly oneWrite?: boolean
    }

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: Record<string, unknown>
}

export interface FakeCodex {
  /** Provider baseUrl: `http://127.0.0.1:N/backend-api`. */
  readonly baseUrl: string
  readonly origin: string
  readonly requests: RecordedRequest[]
  readonly violations: string[]
  /** Responses not yet closed (a hung-up client's request no longer counts). */
  openResponses (): number
  reply (...replies: FakeReply[]): void
  close (): Promise<void>
}

export interface FakeCodexOptions {
  /** Accepted bearer tokens with the account id each belongs to. */
  readonly accounts: Readonly<Record<string, string>>
  /** Path the backend serves; default `/backend-api/codex/responses`. */
  readonly path?: string
  /** `codex` (strict) or `openai` (api.openai.com /v1/responses rules). */
  readonly flavour?: 'codex' | 'openai'
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function startFakeCodex (opts: FakeCodexOptions): Promise<FakeCodex> {
  const requests: RecordedRequest[] = []
  const violations: string[] = []
  const queue: FakeReply[] = []
  const flavour = opts.flavour ?? 'codex'
  const path = opts.path ?? (flavour === 'codex' ? '/backend-api/codex/responses' : '/v1/responses')

  let open = 0
  const server = createServer((req, res) => {
    open++
    res.once('close', () => { open-- })
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      let body: unknown
      try { body = JSON.parse(Buffer.concat(parts).toString('utf8')) } catch { body = undefined }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: isRecord(body) ? body : {} })
      const auth = checkAuth(req, opts, flavour)
      if (auth !== undefined) {
        violations.push(auth)
        return sendJson(res, 401, { error: { message: auth, type: 'invalid_request_error', code: 'invalid_api_key' } })
      }
      const problems: string[] = []
      if (req.method !== 'POST') problems.push(`method ${String(req.method)}`)
      if (req.url !== path) problems.push(`path ${String(req.url)} (want ${path})`)
      problems.push(...checkHeaders(req, flavour), ...checkBody(body, flavour))
      if (problems.length > 0) {
        violations.push(...problems)
        return sendJson(res, 400, { error: { message: problems.join('; '), type: 'invalid_request_error', code: null } })
      }
      const next = queue.shift()
      if (next === undefined) return sendJson(res, 500, { error: { message: 'fake-codex: no scripted reply', type: 'server_error' } })
      if (next.kind === 'wire') return void playWire(res, next.script)
      if (next.kind === 'json') return sendJson(res, next.status ?? 200, next.body, next.headers)
      void sendSse(res, next)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  return {
    baseUrl: flavour === 'codex' ? `${origin}/backend-api` : `${origin}/v1`,
    origin,
    requests,
    violations,
    openResponses: () => open,
    reply: (...r) => { queue.push(...r) },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

export function encodeEvent (e: SseEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`
}

async function sendSse (res: ServerResponse, reply: Extract<FakeReply, { kind: 'sse' }>): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
  if (reply.oneWrite === true) { res.end(reply.events.map(encodeEvent).join('')); return }
  for (let i = 0; i < reply.events.length; i++) {
    if (reply.gate !== undefined && i === reply.gate.after) await reply.gate.release
    if (reply.cutAfter !== undefined && i === reply.cutAfter) { res.destroy(); return }
    if (res.destroyed) return
    const bytes = Buffer.from(encodeEvent(reply.events[i]))
    const size = reply.chunkSize ?? bytes.length
    for (let j = 0; j < bytes.length; j += size) {
      await new Promise<void>((resolve) => res.write(bytes.subarray(j, j + size), () => resolve()))
    }
  }
  res.end()
}

// ---- checks -------------------------------------------------------------------------------------

function checkAuth (req: IncomingMessage, opts: FakeCodexOptions, flavour: 'codex' | 'openai'): string | undefined {
  const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1]
  if (token === undefined || !Object.hasOwn(opts.accounts, token)) return 'invalid bearer token'
  if (flavour === 'codex' && req.headers['chatgpt-account-id'] !== opts.accounts[token]) {
    return `chatgpt-account-id ${String(req.headers['chatgpt-account-id'])} does not match the token`
  }
  return undefined
}

function checkHeaders (req: IncomingMessage, flavour: 'codex' | 'openai'): string[] {
  const h = req.headers
  const out: string[] = []
  if (h['content-type'] !== 'application/json') out.push(`content-type ${String(h['content-type'])}`)
  if (flavour === 'openai') return out
  if (h['openai-beta'] !== 'responses=experimental') out.push('OpenAI-Beta: responses=experimental is required')
  if (h.originator !== 'codex_cli_rs') out.push(`originator ${String(h.originator)}`)
  if (typeof h.session_id !== 'string' || !UUID.test(h.session_id)) out.push('session_id must be a uuid')
  if (h.accept !== 'text/event-stream') out.push(`accept ${String(h.accept)} (want text/event-stream)`)
  return out
}

const CODEX_KEYS = new Set(['model', 'instructions', 'input', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'store', 'stream', 'include', 'prompt_cache_key', 'text'])
const OPENAI_KEYS = new Set([...CODEX_KEYS, 'max_output_tokens', 'temperature', 'top_p', 'user', 'metadata', 'service_tier', 'safety_identifier'])

/** The Responses body rules, Codex's stricter ones included. */
export function checkBody (body: unknown, flavour: 'codex' | 'openai'): string[] {
  if (!isRecord(body)) return ['body must be a JSON object']
  const out: string[] = []
  const allowed = flavour === 'codex' ? CODEX_KEYS : OPENAI_KEYS
  for (const k of Object.keys(body)) if (!allowed.has(k)) out.push(`Unsupported parameter: ${k}`)
  if (typeof body.model !== 'string' || body.model === '') out.push('model is required')
  if (flavour === 'codex') {
    if (typeof body.instructions !== 'string' || body.instructions === '') out.push('Instructions are required')
    if (body.store !== false) out.push('Store must be set to false')
    if (body.stream !== true) out.push('Stream must be set to true')
    if (!Array.isArray(body.include) || !body.include.includes('reasoning.encrypted_content')) out.push('include must carry reasoning.encrypted_content')
  } else if (body.store !== false) out.push('rotor must send store:false')
  if (body.instructions !== undefined && typeof body.instructions !== 'string') out.push('instructions must be a string')
  checkInput(body.input, out)
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) out.push('tools must be an array')
    else {
      body.tools.forEach((t: unknown, i) => {
        if (!isRecord(t) || t.type !== 'function' || typeof t.name !== 'string' || !isRecord(t.parameters) || 'function' in t) {
          out.push(`tools[${i}] must be a flat {type:"function", name, parameters}`)
        }
      })
    }
  }
  const tc = body.tool_choice
  if (tc !== undefined && !(tc === 'auto' || tc === 'none' || tc === 'required' || (isRecord(tc) && tc.type === 'function' && typeof tc.name === 'string' && !('function' in tc)))) {
    out.push('tool_choice is malformed')
  }
  if (body.reasoning !== undefined) {
    const r = body.reasoning
    if (!isRecord(r) || Object.keys(r).some((k) => k !== 'effort' && k !== 'summary')) out.push('reasoning must be {effort?, summary?}')
    else if (r.effort !== undefined && !['none', 'minimal', 'low', 'medium', 'high', 'xhigh'].includes(String(r.effort))) out.push(`reasoning.effort ${String(r.effort)}`)
  }
  return out
}

function checkInput (input: unknown, out: string[]): void {
  if (!Array.isArray(input) || input.length === 0) { out.push('input must be a non-empty array'); return }
  const calls = new Set<string>()
  input.forEach((item: unknown, i) => {
    const at = `input[${i}]`
    if (!isRecord(item)) { out.push(`${at} must be an object`); return }
    switch (item.type) {
      case 'message': {
        if (item.role !== 'user' && item.role !== 'assistant' && item.role !== 'developer') { out.push(`${at}.role ${String(item.role)}`); return }
        if (!Array.isArray(item.content) || item.content.length === 0) { out.push(`${at}.content must be a non-empty array`); return }
        const want = item.role === 'assistant' ? ['output_text'] : ['input_text', 'input_image', 'input_file']
        item.content.forEach((p: unknown, j) => {
          if (!isRecord(p) || !want.includes(String(p.type))) out.push(`${at}.content[${j}] type ${isRecord(p) ? String(p.type) : typeof p} not allowed for ${String(item.role)}`)
          else if ((p.type === 'input_text' || p.type === 'output_text') && (typeof p.text !== 'string' || p.text === '')) out.push(`${at}.content[${j}].text must be non-empty`)
          else if (p.type === 'input_image' && typeof p.image_url !== 'string') out.push(`${at}.content[${j}].image_url must be a string`)
        })
        return
      }
      case 'function_call':
        if (typeof item.call_id !== 'string' || typeof item.name !== 'string' || typeof item.arguments !== 'string') out.push(`${at} must be {call_id, name, arguments:string}`)
        else calls.add(item.call_id)
        return
      case 'function_call_output':
        if (typeof item.call_id !== 'string' || typeof item.output !== 'string') out.push(`${at} must be {call_id, output:string}`)
        else if (!calls.has(item.call_id)) out.push(`No tool call found for function call output with call_id ${item.call_id}`)
        return
      default:
        out.push(`${at}.type ${String(item.type)} not allowed`)
    }
  })
}

// ---- transcripts ----------------------------------------------------------------------------------

export type ItemSpec =
  | { readonly type: 'reasoning', readonly summary: readonly string[] }
  | { readonly type: 'message', readonly text: readonly string[] }
  | { readonly type: 'function_call', readonly callId: string, readonly name: string, readonly args: readonly string[] }

export interface Usage {
  readonly input: number
  readonly cached: number
  readonly output: number
  readonly reasoning: number
}

export function usageOf (u: Usage): Record<string, unknown> {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  }
}

export interface TranscriptOptions {
  readonly id?: string
  readonly model?: string
  readonly usage?: Usage
  /** Leave `output` empty in response.completed, as Codex sometimes does. */
  readonly emptyFinalOutput?: boolean
  readonly incomplete?: 'max_output_tokens' | 'content_filter'
}

/** A realistic Responses SSE transcript for the given output items (sequence numbers included). */
export function transcript (items: readonly ItemSpec[], opts: TranscriptOptions = {}): SseEvent[] {
  const id = opts.id ?? 'resp_fake_1'
  const model = opts.model ?? 'gpt-5.2'
  let seq = 0
  const events: SseEvent[] = []
  const ev = (type: string, data: Record<string, unknown>): void => { events.push({ event: type, data: { type, sequence_number: seq++, ...data } }) }
  const head = { id, object: 'response', created_at: 1767225600, model, status: 'in_progress', output: [] }
  ev('response.created', { response: head })
  ev('response.in_progress', { response: head })
  const done: Record<string, unknown>[] = []
  items.forEach((spec, output_index) => {
    if (spec.type === 'reasoning') {
      const item_id = `rs_${output_index}`
      ev('response.output_item.added', { output_index, item: { id: item_id, type: 'reasoning', summary: [] } })
      spec.summary.forEach((text, summary_index) => {
        ev('response.reasoning_summary_part.added', { item_id, output_index, summary_index, part: { type: 'summary_text', text: '' } })
        const half = Math.ceil(text.length / 2)
        for (const delta of [text.slice(0, half), text.slice(half)]) ev('response.reasoning_summary_text.delta', { item_id, output_index, summary_index, delta })
        ev('response.reasoning_summary_text.done', { item_id, output_index, summary_index, text })
        ev('response.reasoning_summary_part.done', { item_id, output_index, summary_index, part: { type: 'summary_text', text } })
      })
      const item = { id: item_id, type: 'reasoning', summary: spec.summary.map((text) => ({ type: 'summary_text', text })), encrypted_content: 'gAAAA-encrypted-reasoning' }
      ev('response.output_item.done', { output_index, item })
      done.push(item)
    } else if (spec.type === 'message') {
      const item_id = `msg_${output_index}`
      ev('response.output_item.added', { output_index, item: { id: item_id, type: 'message', status: 'in_progress', role: 'assistant', content: [] } })
      ev('response.content_part.added', { item_id, output_index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } })
      for (const delta of spec.text) ev('response.output_text.delta', { item_id, output_index, content_index: 0, delta, logprobs: [] })
      const text = spec.text.join('')
      ev('response.output_text.done', { item_id, output_index, content_index: 0, text })
      ev('response.content_part.done', { item_id, output_index, content_index: 0, part: { type: 'output_text', text, annotations: [] } })
      const item = { id: item_id, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }
      ev('response.output_item.done', { output_index, item })
      done.push(item)
    } else {
      const item_id = `fc_${output_index}`
      ev('response.output_item.added', { output_index, item: { id: item_id, type: 'function_call', status: 'in_progress', call_id: spec.callId, name: spec.name, arguments: '' } })
      for (const delta of spec.args) ev('response.function_call_arguments.delta', { item_id, output_index, delta })
      const args = spec.args.join('')
      ev('response.function_call_arguments.done', { item_id, output_index, arguments: args })
      const item = { id: item_id, type: 'function_call', status: 'completed', call_id: spec.callId, name: spec.name, arguments: args }
      ev('response.output_item.done', { output_index, item })
      done.push(item)
    }
  })
  const usage = usageOf(opts.usage ?? { input: 100, cached: 0, output: 20, reasoning: 0 })
  if (opts.incomplete !== undefined) {
    ev('response.incomplete', { response: { ...head, status: 'incomplete', incomplete_details: { reason: opts.incomplete }, output: done, usage } })
  } else {
    ev('response.completed', { response: { ...head, status: 'completed', output: opts.emptyFinalOutput === true ? [] : done, usage } })
  }
  return events
}

/** A stream that fails before any output item (`response.failed`). */
export function failedTranscript (code: string, message: string, extra: Record<string, unknown> = {}): SseEvent[] {
  const head = { id: 'resp_failed', object: 'response', created_at: 1767225600, model: 'gpt-5.2', status: 'in_progress', output: [] }
  return [
    { event: 'response.created', data: { type: 'response.created', sequence_number: 0, response: head } },
    { event: 'response.in_progress', data: { type: 'response.in_progress', sequence_number: 1, response: head } },
    { event: 'response.failed', data: { type: 'response.failed', sequence_number: 2, response: { ...head, status: 'failed', error: { code, message, ...extra } } } },
  ]
}

/** An access token shaped like ChatGPT's: a JWT whose auth claim names the account. */
export function chatgptJwt (accountId: string, extra: Record<string, unknown> = {}): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const payload = { exp: 4102444800, 'https://api.openai.com/auth': { chatgpt_account_id: accountId, chatgpt_plan_type: 'plus' }, ...extra }
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.c2lnbmF0dXJl`
}
