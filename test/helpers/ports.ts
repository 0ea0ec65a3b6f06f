// A loopback port nothing listens on (bound, then released): for a dead upstream, or a
// private server the test starts next.
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'

export async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
