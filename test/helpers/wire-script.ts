// Hostile upstream behaviour, shared by every fake upstream (OpenAI chat, Anthropic, Codex):
// a response written piece by piece that can drip, stall, be reset at any byte, or carry
// whatever bytes a test wants (garbage SSE, invalid 200 bodies).
import type { ServerResponse } from 'node:http'

export interface WireScript {
  readonly status?: number
  /** Response headers; `content-type` defaults to text/event-stream. */
  readonly headers?: Record<string, string>
  /** Body pieces, each written once the previous one reached the socket. */
  readonly pieces?: ReadonlyArray<string | Buffer>
  /** Pause before each piece after the first, ms: an upstream that drips. */
  readonly intervalMs?: number
  /** Reset the connection once this many body bytes went out (mid-piece included). */
  readonly resetAtByte?: number
  /** After the last piece: end the response (default), reset the connection, or stall forever. */
  readonly then?: 'end' | 'reset' | 'stall'
}

function write (res: ServerResponse, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => { res.write(bytes, () => resolve()) })
}

/** A TCP reset, not a clean FIN: what a crashed upstream or a middlebox does. */
function reset (res: ServerResponse): void {
  const socket = res.socket
  if (socket !== null && !socket.destroyed) socket.resetAndDestroy()
  else res.destroy()
}

export async function playWire (res: ServerResponse, script: WireScript): Promise<void> {
  res.writeHead(script.status ?? 200, { 'content-type': 'text/event-stream', ...script.headers })
  res.flushHeaders()
  let sent = 0
  let index = 0
  for (const piece of script.pieces ?? []) {
    if (index++ > 0 && script.intervalMs !== undefined) await new Promise((resolve) => setTimeout(resolve, script.intervalMs))
    if (res.destroyed) return
    const bytes = Buffer.from(piece)
    if (script.resetAtByte !== undefined && sent + bytes.length >= script.resetAtByte) {
      const head = bytes.subarray(0, script.resetAtByte - sent)
      if (head.length > 0) await write(res, head)
      reset(res)
      return
    }
    await write(res, bytes)
    sent += bytes.length
  }
  if (script.then === 'stall') return
  if (script.then === 'reset' || (script.resetAtByte !== undefined && sent >= script.resetAtByte)) { reset(res); return }
  res.end()
}

/** The byte length of a script's body. */
export function wireLength (script: WireScript): number {
  return (script.pieces ?? []).reduce((n, p) => n + Buffer.byteLength(p), 0)
}
