import t from 'tap'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/telemetry/logger.ts'
import { createSecretRegistry } from '../../src/auth/secret-registry.ts'
import { startTestGateway } from '../helpers/gateway.ts'

const SECRET = 'Zq8xT2mN9pL4vR7wK3jH6cF1aB5dE0gY'

function capture (): { lines: string[], sink: Writable } {
  const lines: string[] = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); cb() } })
  return { lines, sink }
}

t.test('every log line passes the scrubber: fields, messages and error stacks', async (t) => {
  const secrets = createSecretRegistry()
  secrets.add(SECRET)
  const { lines, sink } = capture()
  const log = createLogger('debug', sink, { scrub: secrets.scrub })
  log.warn({ profile: 'p:a', reason: `HTTP 400 invalid_grant: refresh token ${SECRET} is not valid` }, 'OAuth token refresh failed')
  log.error({ err: new Error(`upstream said ${SECRET}`) }, 'chat request failed')
  log.debug(`raw ${SECRET}`)
  t.equal(lines.length, 3)
  for (const line of lines) {
    t.notOk(line.includes(SECRET), line)
    t.ok(line.includes('Zq8…E0gY'), 'the mask is there instead')
    t.doesNotThrow(() => JSON.parse(line), 'still JSON')
  }
})

t.test('the per-request success summary is not scanned', async (t) => {
  let scanned = 0
  const { lines, sink } = capture()
  const log = createLogger('info', sink, { scrub: (line) => { scanned++; return line } })
  log.info({ reqId: 'r1', model: 'p/m', status: 200, durationMs: 1.5 }, 'request')
  t.equal(scanned, 0)
  log.info({ reqId: 'r2', status: 502 }, 'request failed')
  t.equal(scanned, 1)
  t.equal(lines.length, 2)
})

t.test('the gateway logger scrubs the secrets of its config', async (t) => {
  const gw = await startTestGateway({ config: { logging: { level: 'debug' }, gateway: { clients: [{ name: 'app', key: SECRET }] } } })
  t.teardown(() => gw.close())
  gw.log.warn({ detail: `echoed ${SECRET}` }, 'something an upstream said')
  gw.log.flush()
  const line = gw.logs.find((l) => l.includes('something an upstream said'))
  t.ok(line !== undefined)
  t.notOk(line?.includes(SECRET))
})
