// A terminal prompt that does not echo the answer: a pasted token must not stay on screen
// or in the terminal's scrollback.
import { createInterface } from 'node:readline/promises'
import { Writable } from 'node:stream'

/**
 * Asks `prompt` on a terminal and reads one line without echoing it. readline puts the
 * terminal in raw mode (no echo by the tty) and echoes keystrokes itself through `output`,
 * so everything written after the prompt is dropped. Ctrl-C answers '' (the caller rejects
 * an empty secret).
 */
export async function promptHidden (prompt: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<string> {
  let muted = false
  const sink = new Writable({
    write (chunk: Buffer, _encoding, done) {
      if (!muted) output.write(chunk)
      done()
    },
  })
  const rl = createInterface({ input, output: sink, terminal: true })
  const cancel = new AbortController()
  rl.once('SIGINT', () => { cancel.abort() })
  try {
    // question() writes the prompt synchronously; mute what follows.
    const answer = rl.question(prompt, { signal: cancel.signal })
    muted = true
    return (await answer).trim()
  } catch (err) {
    if (cancel.signal.aborted) return ''
    throw err
  } finally {
    rl.close()
    output.write('\n')
  }
}
