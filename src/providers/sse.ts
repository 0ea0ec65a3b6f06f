// SSE framing over raw upstream chunks: multi-byte characters and events may be split anywhere.
import { createParser } from 'eventsource-parser'
import { isRecord } from '../core/json.ts'
import { UpstreamBodyError } from '../core/errors.ts'

export interface SseEvent { readonly event: string | undefined, readonly data: string }

export interface EventReader {
  feed (chunk: Buffer): SseEvent[]
  /** Flushes a final event that lacks its blank line. */
  end (): SseEvent[]
}

/** Longest SSE event rotor buffers (characters): an upstream line without end must not grow memory without bound. */
export const MAX_EVENT_CHARS = 16 * 1024 * 1024

export function eventReader (): EventReader {
  const decoder = new TextDecoder()
  let events: SseEvent[] = []
  let overflow = false
  const parser = createParser({
    onEvent: (e) => { events.push({ event: e.event, data: e.data }) },
    onError: () => { overflow = true },
    maxBufferSize: MAX_EVENT_CHARS,
  })
  const take = (): SseEvent[] => {
    if (overflow) throw new UpstreamBodyError('too_large', `upstream sent an SSE event longer than ${MAX_EVENT_CHARS} characters`)
    const out = events
    events = []
    return out
  }
  return {
    feed: (chunk) => { parser.feed(decoder.decode(chunk, { stream: true })); return take() },
    end: () => { parser.feed(decoder.decode() + '\n\n'); return take() },
  }
}

/**
 * An event's `data` as a JSON object, and its type: the object's `type` field, else the
 * `event:` name. Throws when the data is not a JSON object (`source` names the upstream).
 */
export function parseEvent (source: string, eventName: string | undefined, data: string): { type: string, ev: Record<string, unknown> } {
  let ev: unknown
  try { ev = JSON.parse(data) } catch { ev = undefined }
  if (!isRecord(ev)) throw new UpstreamBodyError('malformed', `${source} stream sent an unreadable ${eventName ?? 'message'} event`)
  return { type: typeof ev.type === 'string' ? ev.type : eventName ?? '', ev }
}
