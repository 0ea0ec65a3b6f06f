// Shared setup for gateway tests: one fake upstream that answers per credential, and a
// gateway whose providers `fake` (m1, m2) and `other` (o1) point at it.
import type { Test } from 'tap'
import { startFakeUpstream, completion, type Scripted, type RecordedRequest, type FakeUpstream } from './fake-upstream.ts'
import { startTestGateway, fakeProviderConfig, type TestGateway } from './gateway.ts'

export const KEYS = {
  a: 'sk-fake-aaaaaaaaaaaaaaaa1111',
  b: 'sk-fake-bbbbbbbbbbbbbbbb2222',
  c: 'sk-fake-cccccccccccccccc3333',
  x: 'sk-other-xxxxxxxxxxxxxxx4444',
} as const

export function keyOf (req: RecordedRequest): keyof typeof KEYS | undefined {
  const auth = req.headers.authorization ?? ''
  for (const [name, key] of Object.entries(KEYS)) if (auth === `Bearer ${key}`) return name as keyof typeof KEYS
  return undefined
}

export function profilesFile (names: ReadonlyArray<keyof typeof KEYS> = ['a', 'b', 'x'], extra: Record<string, unknown> = {}): unknown {
  const profiles: Record<string, unknown> = {}
  for (const n of names) {
    const provider = n === 'x' ? 'other' : 'fake'
    profiles[`${provider}:${n}`] = { type: 'api_key', provider, key: KEYS[n] }
  }
  return { version: 1, profiles, ...extra }
}

export interface Scenario { up: FakeUpstream, gw: TestGateway }

/** Per-key scripted behaviour; unlisted keys answer a completion naming the key. */
export async function scenario (t: Test, opts: {
  byKey?: Partial<Record<keyof typeof KEYS, (req: RecordedRequest) => Scripted | Promise<Scripted>>>
  /** Extra config keys, or a function of the fake upstream's base URL (`http://127.0.0.1:N/v1`). */
  config?: Record<string, unknown> | ((baseUrl: string) => Record<string, unknown>)
  names?: ReadonlyArray<keyof typeof KEYS>
  now?: () => number
  env?: Record<string, string>
  authProfiles?: unknown
}): Promise<Scenario> {
  const up = await startFakeUpstream((req) => {
    const k = keyOf(req)
    const fn = k === undefined ? undefined : opts.byKey?.[k]
    if (fn !== undefined) return fn(req)
    return { body: completion(`from ${k ?? 'none'}`, String(req.body.model)) }
  })
  const gw = await startTestGateway({
    config: { ...fakeProviderConfig(`${up.url}/v1`), auth: { strategy: 'ordered' }, ...(typeof opts.config === 'function' ? opts.config(`${up.url}/v1`) : opts.config) },
    authProfiles: opts.authProfiles ?? profilesFile(opts.names),
    now: opts.now,
    env: opts.env,
  })
  t.teardown(async () => { await gw.close(); await up.close() })
  return { up, gw }
}

export const HI = { messages: [{ role: 'user', content: 'hi' }] }

export function countBy (up: FakeUpstream, k: keyof typeof KEYS): number {
  return up.requests.filter((r) => keyOf(r) === k).length
}
