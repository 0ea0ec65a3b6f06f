// Stopping behind a load balancer without losing a request. Cutting an idle keep-alive
// connection races a request the balancer may be sending on it at that moment, and nginx
// does not resend a POST it has sent. So the listener closes first (the balancer's next
// connection attempt is refused and it sends that request elsewhere, safe even for a POST,
// which never reached this process), and every connection still open ends after its
// current or next response (`Connection: close`).
import { once } from 'node:events'
import type { Server, ServerResponse } from 'node:http'
import { Server as NetServer, type Socket } from 'node:net'

/** The response a socket is serving now: Node's own link, unset between keep-alive requests. */
function responseOf (socket: Socket): ServerResponse | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined
}

/**
 * Tracks the server's connections (per connection, not per request) and returns `drain`:
 * stop accepting, end keep-alive, resolve once no connection is left or after `maxMs`.
 * The gateway's close() then cuts the connections still idle and waits for requests in
 * flight. `maxMs` gives a balancer time to see the refused connection and stop choosing
 * this replica (docker/nginx.conf benches it for 3 s), so the idle connections cut at the
 * end are ones it is not using.
 */
export function connectionDrainer (server: Server): (maxMs: number) => Promise<void> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => { sockets.delete(socket) })
  })
  return async (maxMs) => {
    server.prependListener('request', (_req, res: ServerResponse) => { res.shouldKeepAlive = false })
    for (const socket of sockets) {
      const res = responseOf(socket)
      if (res === undefined) continue
      if (!res.headersSent) res.shouldKeepAlive = false
      else res.once('finish', () => { socket.end() })
    }
    // net's close, not http's: http's would also cut the idle keep-alive connections at once.
    NetServer.prototype.close.call(server)
    // Emitted once the listener is closed and the last connection has ended.
    await once(server, 'close', { signal: AbortSignal.timeout(maxMs) }).catch(() => {})
  }
}
