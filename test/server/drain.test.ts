// A stopping gateway drains: no new connections, and requests on open keep-alive
// connections are still served, each ending its connection (what a load balancer needs to
// lose no request when a replica stops).
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, request, Agent, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { connectionDrainer } from '../../src/server/drain.ts'
import { spawnGateway } from '../helpers/spawn-gateway.ts'

interface Answer { status: number, connection: string | undefined, reused: boolean, socket: Socket, body: string }

function get (port: number, path: string, agent: Agent, onHeaders?: (res: IncomingMessage) => void): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      onHeaders?.(res)
      const socket = res.socket
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, reused: req.reusedSocket, socket, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Whether a new TCP connection to the port is refused. */
function refused (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(false) })
    s.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code === 'ECONNREFUSED') })
  })
}

t.test('draining serves idle and in-flight keep-alive connections once more, closes each, and accepts no new one', async (t) => {
  let releaseSlow = (): void => {}
  let releaseStream = (): void => {}
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/slow') { releaseSlow = () => { res.end('slow') }; return }
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first ')
      releaseStream = () => { res.end('last') }
      return
    }
    res.end('ok')
  })
  const drain = connectionDrainer(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  // One keep-alive client per request, so each has its own connection and the idle one stays idle.
  const [agent, slowAgent, streamAgent] = [1, 2, 3].map(() => new Agent({ keepAlive: true }))
  t.teardown(() => { for (const a of [agent, slowAgent, streamAgent]) a.destroy(); server.close() })

  const idle = await get(port, '/', agent)
  t.equal(idle.connection, 'keep-alive', 'before the drain connections are kept alive')
  const slow = get(port, '/slow', slowAgent)
  let streamStarted = (): void => {}
  const headersIn = new Promise<void>((resolve) => { streamStarted = resolve })
  const stream = get(port, '/stream', streamAgent, () => { streamStarted() })
  await headersIn
  const open = await new Promise<number>((resolve) => { server.getConnections((_e, n) => { resolve(n) }) })
  t.equal(open, 3, 'one idle and two busy connections')

  const drained = drain(60_000)
  t.ok(await refused(port), 'a new connection is refused')

  const again = await get(port, '/', agent)
  t.ok(again.reused, 'the idle keep-alive connection is used once more')
  t.strictSame([again.status, again.body, again.connection], [200, 'ok', 'close'], 'and served, with Connection: close')

  releaseSlow()
  const slowAnswer = await slow
  t.strictSame([slowAnswer.status, slowAnswer.body, slowAnswer.connection], [200, 'slow', 'close'], 'a response not yet started ends its connection')

  releaseStream()
  const streamAnswer = await stream
  t.strictSame([streamAnswer.status, streamAnswer.body, streamAnswer.connection], [200, 'first last', 'keep-alive'], 'a response already started completes')
  if (!streamAnswer.socket.destroyed) await once(streamAnswer.socket, 'close')
  t.ok(streamAnswer.socket.destroyed, 'and the server then ends its connection')

  await drained
  t.equal(server.listening, false, 'the drain ends once the last connection has ended')
})

t.test('rotor serve drains on SIGTERM: a request on an open keep-alive connection is still answered', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'rotor-drain-'))
  t.teardown(() => { rmSync(home, { recursive: true, force: true }) })
  const gw = await spawnGateway(['--port', '0'], { PATH: process.env.PATH, HOME: home, ROTOR_HOME: home })
  // This test sends the SIGTERM itself; if rotor is still running at the end, it failed to stop.
  t.teardown(() => { if (gw.child.exitCode === null && gw.child.signalCode === null) gw.child.kill('SIGKILL') })
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => { agent.destroy() })

  const first = await get(gw.port, '/healthz', agent)
  t.strictSame([first.status, first.connection], [200, 'keep-alive'])
  const exited = once(gw.child, 'exit')
  gw.child.kill('SIGTERM')
  // Polled, bounded: nothing announces that the signal has been handled.
  let closed = false
  for (const deadline = Date.now() + 15_000; !closed && Date.now() < deadline;) {
    closed = await refused(gw.port)
    if (!closed) await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.ok(closed, 'the listener closes on SIGTERM')

  const answer = await get(gw.port, '/healthz', agent)
  t.ok(answer.reused, 'the request went over the open connection')
  t.strictSame([answer.status, answer.connection], [200, 'close'], 'answered, and the connection ends after it')
  const [code] = await exited as [number | null]
  t.equal(code, 0, 'rotor exits 0 once drained')
})
