// SSE framing over raw upstream chunks: multi-byte characters and events may be split anywhere.
import { createParser } from 'eventsource-parser'

export interface SseEvent { readonly event: string | undefined, readonly data: string }

export interface EventReader {
  feed (chunk: Buffer): SseEvent[]
  /** Flushes a final event that lacks its blank line. */
  end (): SseEvent[]
}

export function eventReader (): EventReader {
  const decoder = new TextDecoder()
  let events: SseEvent[] = []
  const parser = createParser({ onEvent: (e) => { events.push({ event: e.event, data: e.data }) } })
  const take = (): SseEvent[] => { const out = events; events = []; return out }
  return {
    feed: (chunk) => { parser.feed(decoder.decode(chunk, { stream: true })); return take() },
    end: () => { parser.feed(decoder.decode() + '\n\n'); return take() },
  }
}
