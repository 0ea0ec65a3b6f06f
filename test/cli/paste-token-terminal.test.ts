// A secret typed or pasted at a terminal prompt is not echoed back.
import { spawn, spawnSync } from 'node:child_process'
import { PassThrough } from 'node:stream'
import { stripVTControlCharacters } from 'node:util'
import t from 'tap'
import { promptHidden } from '../../src/cli/hidden-prompt.ts'
import { MAIN } from '../helpers/spawn-gateway.ts'
import { cliHome } from './cli-env.ts'

const SETUP_TOKEN = 'sk-ant-oat01-typedAtATerminalEEEEEEEEEEEE7a8b'

/** An input that looks like a terminal to readline (raw mode is a no-op here). */
function fakeTerminal (): PassThrough & { isTTY: boolean, setRawMode: (mode: boolean) => void } {
  return Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} })
}

function capture (): { stream: PassThrough, text: () => string } {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (d: Buffer) => { text += d.toString('utf8') })
  return { stream, text: () => text }
}

t.test('the hidden prompt shows the prompt and a newline but not the typed answer', async (t) => {
  const input = fakeTerminal()
  const out = capture()
  const answer = promptHidden('Paste the token: ', input, out.stream)
  for (const ch of SETUP_TOKEN) input.write(ch)
  input.write('\r')
  t.equal(await answer, SETUP_TOKEN)
  t.equal(stripVTControlCharacters(out.text()), 'Paste the token: \n', 'only the prompt (and cursor moves) and the closing newline')
})

t.test('Ctrl-C at the hidden prompt answers an empty string', async (t) => {
  const input = fakeTerminal()
  const out = capture()
  const answer = promptHidden('Paste the token: ', input, out.stream)
  input.write('sk-partial')
  input.write('\x03')
  t.equal(await answer, '')
  t.notMatch(out.text(), 'sk-partial')
})

// util-linux `script` gives the CLI a real pseudo-terminal: raw mode, the tty's own echo.
const noScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'util-linux script is not installed'

t.test('paste-token on a pseudo-terminal stores the token without echoing it', { skip: noScript }, async (t) => {
  const h = await cliHome(t)
  const command = [process.execPath, MAIN, 'models', 'auth', 'paste-token', '--provider', 'anthropic'].map((a) => `'${a}'`).join(' ')
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: h.env, stdio: ['pipe', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let screen = ''
  let typed = false
  const exited = new Promise<number | null>((resolve) => { child.once('exit', (code) => { resolve(code) }) })
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString('utf8')
    // Type only once the prompt is up: readline has switched the tty to raw mode by then.
    if (!typed && screen.includes('Paste the anthropic token: ')) {
      typed = true
      child.stdin.write(`${SETUP_TOKEN}\r`)
    }
  })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 20_000)
  const code = await exited
  clearTimeout(timer)
  t.equal(code, 0, screen)
  t.ok(typed, 'the prompt appeared')
  t.match(screen, 'Auth profile added: anthropic:claude-cli (oauth)')
  t.notMatch(screen, 'sk-ant-oat01', 'no part of the token reached the terminal')
  const p = (h.readAuth() as { profiles: Record<string, { access: string }> }).profiles['anthropic:claude-cli']
  t.equal(p.access, SETUP_TOKEN)
})
