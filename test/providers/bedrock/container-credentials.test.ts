// Short-lived container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI on a loopback fake)
// through the real gateway: discovered without a network call at load, fetched on the first
// request, and refreshed before they expire, so no request is ever sent with an expired key.
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { converseBody, type FakeBedrock, type FakeCredentials } from '../../helpers/fake-bedrock.ts'
import { testClock } from '../../helpers/clock.ts'
import { setupBedrock } from './fixtures.ts'

const LIFETIME_MS = 15 * 60_000

interface ContainerFake { url: string, issued: FakeCredentials[], close: () => Promise<void> }

/** Hands out new credentials valid for LIFETIME_MS on each call, announcing them to `onIssue`. */
async function startContainerEndpoint (now: () => number, onIssue: (c: FakeCredentials) => void): Promise<ContainerFake> {
  const issued: FakeCredentials[] = []
  const server = createServer((req, res) => {
    const n = issued.length + 1
    const creds = { accessKeyId: `ASIACONTAINER${String(n).padStart(7, '0')}`, secretAccessKey: `container-secret-${n}`, sessionToken: `container-token-${n}` }
    issued.push(creds)
    onIssue(creds)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({
      AccessKeyId: creds.accessKeyId, SecretAccessKey: creds.secretAccessKey, Token: creds.sessionToken,
      Expiration: new Date(now() + LIFETIME_MS).toISOString(),
    }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/credentials/task`,
    issued,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

t.test('expiring container credentials are refreshed before expiry without a failed request', async (t) => {
  const clock = testClock(Date.now())
  let bedrock: FakeBedrock | undefined
  // The fake stops accepting a key the moment a newer one is issued, so a request signed with
  // the old key after a refresh would fail.
  const container: ContainerFake = await startContainerEndpoint(clock, (c) => {
    for (const old of container.issued) if (old !== c) bedrock?.expire(old.accessKeyId)
    bedrock?.allow(c)
  })
  t.teardown(() => container.close())
  const setup = await setupBedrock(t, { awsVars: { AWS_CONTAINER_CREDENTIALS_FULL_URI: container.url }, accepted: [], now: clock })
  bedrock = setup.bedrock
  const { gw } = setup
  t.equal(container.issued.length, 0, 'nothing is fetched at startup')

  const ask = async (): Promise<{ status: number, attempts: string | null, profile: string | null }> => {
    bedrock?.reply({ kind: 'json', body: converseBody({ content: [{ text: 'ok' }] }) })
    const res = await gw.chat({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }] })
    await res.arrayBuffer()
    return { status: res.status, attempts: res.headers.get('x-rotor-attempts'), profile: res.headers.get('x-rotor-profile') }
  }
  const ok = { status: 200, attempts: '1', profile: 'amazon-bedrock:aws-sdk' }

  t.strictSame(await ask(), ok)
  t.equal(container.issued.length, 1)
  clock.advance(5 * 60_000)
  t.strictSame(await ask(), ok)
  t.equal(container.issued.length, 1, '10 minutes left: the cached credentials are used')

  clock.advance(6 * 60_000)
  const first = container.issued[0]
  t.strictSame(await ask(), ok)
  t.equal(container.issued.length, 2, '4 minutes left, inside the refresh margin: refreshed before expiry')

  clock.advance(LIFETIME_MS - 60_000)
  t.strictSame(await ask(), ok, 'near the end of the second lifetime: refreshed again')
  t.equal(container.issued.length, 3)

  t.strictSame(bedrock.violations, [], 'no request was refused')
  t.strictSame(bedrock.requests.map((r) => r.auth.id), [first.accessKeyId, first.accessKeyId, container.issued[1].accessKeyId, container.issued[2].accessKeyId])
})
