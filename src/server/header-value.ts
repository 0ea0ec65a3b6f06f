// Response header values built from names clients and operators choose (model refs, profile
// ids). Node throws on anything outside Latin-1 or on control characters, and Latin-1 itself
// reaches clients as mojibake, so everything but printable ASCII is percent-encoded as UTF-8.
// `%` is encoded too, so `decodeURIComponent` always gives the name back.

const PLAIN = /^[\x20-\x24\x26-\x7e]*$/
const UNSAFE = /[^\x20-\x24\x26-\x7e]/gu

function percentEncode (char: string): string {
  let out = ''
  // A lone surrogate becomes U+FFFD's bytes here instead of throwing like encodeURIComponent.
  for (const byte of Buffer.from(char, 'utf8')) out += `%${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`
  return out
}

/** A value `writeHead` accepts for any input; unchanged for printable ASCII without `%`. */
export function headerValue (text: string): string {
  return PLAIN.test(text) ? text : text.replace(UNSAFE, percentEncode)
}
