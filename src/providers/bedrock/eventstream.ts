// ConverseStream's body (`application/vnd.amazon.eventstream`) as events for the translator.
// Each frame: total length (4 bytes, big endian) | headers length | prelude CRC | headers |
// payload | message CRC. Frames may be split across network chunks or share one; this reader
// only cuts the byte stream at the length prefix, and the Smithy codec decodes each whole
// frame (CRC checks, typed headers).
import { EventStreamCodec } from '@smithy/core/event-streams'
import type { MessageHeaders } from '@smithy/types'
import type { EventReader, SseEvent } from '../sse.ts'

/** Event name of an exception frame: `exception:<exception-type>`. */
export const EXCEPTION_PREFIX = 'exception:'
/** Event name of an error frame (`:message-type: error`): `error:<error-code>`. */
export const ERROR_PREFIX = 'error:'
/** A frame rotor could not decode; reported like an upstream error frame. */
export const MALFORMED_FRAME = `${ERROR_PREFIX}MalformedEventStream`

/** Smallest possible frame (prelude + CRCs) and a bound no Bedrock frame comes near. */
const MIN_FRAME = 16
const MAX_FRAME = 16 * 1024 * 1024

const decoder = new TextDecoder()
const encoder = new TextEncoder()
const codec = new EventStreamCodec((b) => decoder.decode(b), (s) => encoder.encode(s))

function stringHeader (headers: MessageHeaders, name: string): string | undefined {
  const h = headers[name]
  return h !== undefined && h.type === 'string' ? h.value : undefined
}

/** One decoded frame as an event: `data` is the JSON payload (or an error frame's message). */
export function frameEvent (frame: Uint8Array): SseEvent {
  const message = codec.decode(frame)
  const kind = stringHeader(message.headers, ':message-type') ?? 'event'
  if (kind === 'exception') {
    return { event: EXCEPTION_PREFIX + (stringHeader(message.headers, ':exception-type') ?? 'UnknownException'), data: decoder.decode(message.body) }
  }
  if (kind === 'error') {
    const code = stringHeader(message.headers, ':error-code') ?? 'UnknownError'
    return { event: ERROR_PREFIX + code, data: JSON.stringify({ message: stringHeader(message.headers, ':error-message') ?? code }) }
  }
  return { event: stringHeader(message.headers, ':event-type'), data: decoder.decode(message.body) }
}

/** Encodes one event frame (tests, the bench's fake upstream). */
export function encodeEventFrame (eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: encoder.encode(JSON.stringify(payload)),
  })
}

/** Encodes one exception frame, e.g. `throttlingException` (tests). */
export function encodeExceptionFrame (exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: encoder.encode(JSON.stringify({ message })),
  })
}

/**
 * Frames in, events out. A malformed frame becomes one MALFORMED_FRAME event and the reader
 * stops there (nothing after a broken frame can be trusted).
 */
export function frameReader (): EventReader {
  let pending: Buffer = Buffer.alloc(0)
  let broken = false
  const take = (): SseEvent[] => {
    const out: SseEvent[] = []
    while (!broken && pending.length >= 4) {
      const total = pending.readUInt32BE(0)
      if (total < MIN_FRAME || total > MAX_FRAME) {
        broken = true
        out.push({ event: MALFORMED_FRAME, data: JSON.stringify({ message: `frame length ${total} is out of range` }) })
        break
      }
      if (pending.length < total) break
      const frame = pending.subarray(0, total)
      pending = pending.subarray(total)
      try {
        out.push(frameEvent(frame))
      } catch (err) {
        broken = true
        out.push({ event: MALFORMED_FRAME, data: JSON.stringify({ message: err instanceof Error ? err.message : 'undecodable frame' }) })
      }
    }
    return out
  }
  return {
    feed (chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      return take()
    },
    // A partial frame at EOF carries nothing usable; the translator reports the cut.
    end: () => [],
  }
}
