// The ConverseStream framing: a hand-checked fixed frame (so the codec is not only tested
// against itself), frames split anywhere or packed together, and broken frames.
import t from 'tap'
import { crc32 } from 'node:zlib'
import { encodeEventFrame, encodeExceptionFrame, frameReader, MALFORMED_FRAME } from '../../../src/providers/bedrock/eventstream.ts'

// One `messageStop` event frame, byte by byte:
//   0000007a                 total length 122
//   00000051                 headers length 81
//   ca2c4665                 CRC32 of the 8 bytes above
//   0b ":event-type"   07 000b "messageStop"        (name length, name, type 7 = string, value length, value)
//   0d ":content-type" 07 0010 "application/json"
//   0d ":message-type" 07 0005 "event"
//   {"stopReason":"end_turn"}                         payload (25 bytes)
//   5fbf09fc                 CRC32 of everything before it
const FIXED = Buffer.from(
  '0000007a00000051ca2c4665' +
  '0b3a6576656e742d7479706507000b6d65737361676553746f70' +
  '0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e' +
  '0d3a6d6573736167652d747970650700056576656e74' +
  '7b2273746f70526561736f6e223a22656e645f7475726e227d' +
  '5fbf09fc', 'hex')

t.test('the hand-checked frame has the documented layout and decodes to its event', async (t) => {
  t.equal(FIXED.length, 122)
  t.equal(FIXED.readUInt32BE(0), FIXED.length, 'total length')
  t.equal(FIXED.readUInt32BE(4), 81, 'headers length')
  t.equal(FIXED.readUInt32BE(8), crc32(FIXED.subarray(0, 8)), 'prelude CRC')
  t.equal(FIXED.readUInt32BE(118), crc32(FIXED.subarray(0, 118)), 'message CRC')
  t.strictSame(frameReader().feed(FIXED), [{ event: 'messageStop', data: '{"stopReason":"end_turn"}' }])
  t.ok(Buffer.from(encodeEventFrame('messageStop', { stopReason: 'end_turn' })).equals(FIXED), 'the encoder the fakes use writes the same bytes')
})

t.test('a frame split at every possible byte, and several frames in one chunk, decode the same', async (t) => {
  for (let cut = 1; cut < FIXED.length; cut++) {
    const r = frameReader()
    const events = [...r.feed(FIXED.subarray(0, cut)), ...r.feed(FIXED.subarray(cut))]
    if (events.length !== 1 || events[0].event !== 'messageStop') { t.fail(`split at ${cut}`); return }
  }
  const three = Buffer.concat([
    Buffer.from(encodeEventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'héllo ✓' } })),
    FIXED,
    Buffer.from(encodeExceptionFrame('throttlingException', 'Too many tokens')),
  ])
  t.strictSame(frameReader().feed(three), [
    { event: 'contentBlockDelta', data: '{"contentBlockIndex":0,"delta":{"text":"héllo ✓"}}' },
    { event: 'messageStop', data: '{"stopReason":"end_turn"}' },
    { event: 'exception:throttlingException', data: '{"message":"Too many tokens"}' },
  ])
})

t.test('a frame with a wrong checksum or an impossible length is reported once, and nothing after it', async (t) => {
  const bad = Buffer.from(FIXED)
  bad[60] ^= 0xff
  const events = frameReader().feed(Buffer.concat([bad, FIXED]))
  t.equal(events.length, 1)
  t.equal(events[0].event, MALFORMED_FRAME)
  const huge = Buffer.alloc(8)
  huge.writeUInt32BE(0xffffffff, 0)
  t.match(frameReader().feed(huge), [{ event: MALFORMED_FRAME, data: /out of range/ }])
})
