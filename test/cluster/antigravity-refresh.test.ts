// Exactly-once refresh of a Google Antigravity token with real gateway processes: two replicas
// on one Redis, and two memory-mode processes sharing one ROTOR_HOME (the credentials file).
// The fake Google does not rotate refresh tokens (so a duplicate refresh would go unnoticed by
// the upstream) — the token endpoint's call counter is the witness, and the seeded access token
// is already dead upstream, so every request must carry the refreshed one.
import t, { type Test } from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeCloudCode, type Account, type FakeCloudCode } from '../helpers/fake-cloudcode.ts'
import { redisForTest } from '../helpers/redis.ts'
import { startReplicas } from '../helpers/replicas.ts'
import { spawnGateway } from '../helpers/spawn-gateway.ts'

const REQUESTS = 120
const BODY = { model: 'google-antigravity/gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] }

function config (cc: FakeCloudCode, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    logging: { level: 'info' },
    models: { mode: 'replace', providers: { 'google-antigravity': { baseUrl: cc.url, oauth: { tokenUrl: cc.tokenUrl } } } },
    agents: { defaults: { model: { primary: 'google-antigravity/gemini-3-flash' } } },
    ...extra,
  }
}

function expiredProfile (cc: FakeCloudCode, account: Account): unknown {
  return {
    version: 1,
    profiles: {
      'google-antigravity:dev@example.com': {
        type: 'oauth', provider: 'google-antigravity', access: account.access, refresh: account.refresh,
        expires: Date.now() - 60_000, email: account.email, projectId: cc.project,
      },
    },
  }
}

async function post (url: string): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BODY) })
  await res.arrayBuffer()
  return res.status
}

async function fakeGoogle (t: Test): Promise<{ cc: FakeCloudCode, account: Account }> {
  const cc = await startFakeCloudCode()
  t.teardown(() => cc.close())
  cc.setTokenLatency(200)
  const account = cc.seed({ expired: true })
  return { cc, account }
}

t.test(`2 replicas on one Redis, ${REQUESTS} concurrent requests on an expired Antigravity token: exactly 1 token call`, async (t) => {
  const { url, prefix } = await redisForTest(t)
  const { cc, account } = await fakeGoogle(t)
  const replicas = await startReplicas(t, 2, {
    config: config(cc, { state: { store: 'redis', redis: { prefix } } }),
    authProfiles: expiredProfile(cc, account),
    redisUrl: url,
  })
  for (const r of replicas) t.equal((await r.readyz()).status, 'ready', `replica ${r.index} is on redis`)

  const statuses = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => post(replicas[i % replicas.length].url)))
  t.strictSame(statuses.filter((s) => s !== 200), [], 'no failed request')
  t.equal(cc.tokenCalls, 1, 'exactly one call to the token endpoint')
  t.equal(cc.requests.length, REQUESTS, 'every request reached Cloud Code Assist once, with the refreshed token')
  t.strictSame(cc.violations, [])
  const refreshedBy = replicas.map((r) => r.logged('OAuth token refreshed'))
  t.equal(refreshedBy.reduce((a, b) => a + b, 0), 1, `one replica refreshed (${refreshedBy.join('/')})`)
})

t.test(`2 memory-mode processes sharing one credentials file, ${REQUESTS} concurrent requests: exactly 1 token call`, async (t) => {
  const { cc, account } = await fakeGoogle(t)
  const home = mkdtempSync(join(tmpdir(), 'rotor-antigravity-home-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  writeFileSync(join(home, 'rotor.json'), JSON.stringify(config(cc)))
  const agentDir = join(home, 'agents', 'default', 'agent')
  mkdirSync(agentDir, { recursive: true })
  writeFileSync(join(agentDir, 'auth-profiles.json'), JSON.stringify(expiredProfile(cc, account)), { mode: 0o600 })
  const env = { PATH: process.env.PATH, HOME: home, ROTOR_HOME: home }
  const procs = await Promise.all([0, 1].map(() => spawnGateway(['--host', '127.0.0.1', '--port', '0'], env)))
  t.teardown(() => Promise.all(procs.map((p) => p.stop())))

  const statuses = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => post(procs[i % procs.length].url)))
  t.strictSame(statuses.filter((s) => s !== 200), [], 'no failed request')
  t.equal(cc.tokenCalls, 1, 'exactly one call to the token endpoint')
  t.equal(cc.refreshes, 1)
  const refreshedBy = procs.map((p) => p.stdout.filter((l) => l.includes('"msg":"OAuth token refreshed"')).length)
  t.equal(refreshedBy.reduce((a, b) => a + b, 0), 1, `one process refreshed (${refreshedBy.join('/')})`)
})
