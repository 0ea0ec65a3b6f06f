// The loopback HTTP server an authorization-code flow redirects the browser to
// (Codex: http://localhost:1455/auth/callback). It answers one request on the redirect path
// whose `state` matches, and then resolves with the code.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { LoginError } from '../../core/errors.ts'

export interface CallbackServer {
  /** The redirect URI to put in the authorize URL (a port of 0 is replaced by the real one). */
  readonly redirectUri: string
  /** Resolves with the authorization code; rejects when the provider redirected with an error. */
  readonly code: Promise<string>
  close (): Promise<void>
}

const PAGE = (title: string, text: string): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body></html>`

function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * Listens on the redirect URI's port (loopback only). Resolves undefined when the port is
 * taken, so the caller can fall back to pasting the redirect URL by hand.
 */
export async function startCallbackServer (redirectUri: string, state: string): Promise<CallbackServer | undefined> {
  const target = new URL(redirectUri)
  if (target.protocol !== 'http:') throw new LoginError(`redirect URI ${redirectUri} must be http://localhost or a loopback address`)
  const host = target.hostname === 'localhost' ? '127.0.0.1' : target.hostname.replace(/^\[|\]$/g, '')
  const port = target.port === '' ? 80 : Number(target.port)

  let resolve!: (code: string) => void
  let reject!: (err: Error) => void
  const code = new Promise<string>((res, rej) => { resolve = res; reject = rej })
  // A rejection nobody waits for (the user pasted instead) must not crash the process.
  code.catch(() => {})

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://loopback')
    if (url.pathname !== target.pathname) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
      return
    }
    if (url.searchParams.get('state') !== state) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE('Login failed', 'State mismatch: start the login again.'))
      return
    }
    const error = url.searchParams.get('error')
    if (error !== null) {
      const description = url.searchParams.get('error_description') ?? ''
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE('Login failed', escapeHtml(`${error} ${description}`)))
      reject(new LoginError(`authorization failed: ${error}${description !== '' ? `: ${description}` : ''}`.slice(0, 300)))
      return
    }
    const value = url.searchParams.get('code')
    if (value === null || value === '') {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE('Login failed', 'The redirect carried no code.'))
      return
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', connection: 'close' })
      .end(PAGE('Login complete', 'rotor received the authorization. You can close this window.'))
    resolve(value)
  })

  const listening = await new Promise<boolean>((res) => {
    server.once('error', () => { res(false) })
    server.listen(port, host, () => { res(true) })
  })
  if (!listening) return undefined
  const actual = (server.address() as AddressInfo).port
  const uri = new URL(redirectUri)
  uri.port = String(actual)
  return {
    redirectUri: port === 0 ? uri.toString() : redirectUri,
    code,
    close: () => new Promise<void>((res) => {
      server.closeAllConnections()
      server.close(() => { res() })
    }),
  }
}
