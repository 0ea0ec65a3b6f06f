// The AWS credential chain as rotor runs it: the SDK's default Node chain behind rotor's
// cache (refresh before expiry on rotor's clock, one refresh at a time, the old credentials
// while a refresh fails, invalidation after a rejection). The environment is isolated: HOME
// and AWS_* point at temp dirs, the real ~/.aws is never read.
import t from 'tap'
import { createAwsCredentialCache, type AwsCredentials } from '../../src/auth/aws-credentials.ts'
import { isolateAws } from '../helpers/aws-env.ts'
import { testClock } from '../helpers/clock.ts'

t.test('the default chain reads static keys from the environment', async (t) => {
  isolateAws(t, { AWS_ACCESS_KEY_ID: 'AKIAENVEXAMPLE0001', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token' })
  const creds = await createAwsCredentialCache().get()
  t.match(creds, { accessKeyId: 'AKIAENVEXAMPLE0001', secretAccessKey: 'env-secret', sessionToken: 'env-token' })
})

t.test('the default chain reads the AWS_PROFILE profile of the shared credentials file', async (t) => {
  const aws = isolateAws(t, { AWS_PROFILE: 'work' })
  aws.writeCredentials([
    '[default]', 'aws_access_key_id = AKIADEFAULT0000001', 'aws_secret_access_key = default-secret', '',
    '[work]', 'aws_access_key_id = AKIAWORK0000000001', 'aws_secret_access_key = work-secret', '',
  ].join('\n'))
  const creds = await createAwsCredentialCache().get()
  t.match(creds, { accessKeyId: 'AKIAWORK0000000001', secretAccessKey: 'work-secret' })
})

t.test('no credentials anywhere is an AwsCredentialsError naming the cause', async (t) => {
  isolateAws(t)
  await t.rejects(createAwsCredentialCache().get(), { name: 'AwsCredentialsError', message: /^AWS credentials unavailable: / })
})

function fakeProvider (issue: (n: number) => AwsCredentials | Error): { provider: () => Promise<AwsCredentials>, calls: () => number } {
  let n = 0
  return {
    provider: async () => {
      const c = issue(++n)
      if (c instanceof Error) throw c
      return c
    },
    calls: () => n,
  }
}

t.test('credentials are cached until they come within five minutes of expiry, then refreshed once', async (t) => {
  const clock = testClock()
  const expiring = (n: number): AwsCredentials => ({ accessKeyId: `AKIA${n}`, secretAccessKey: 's', expiration: new Date(clock.now + 15 * 60_000) })
  const p = fakeProvider(expiring)
  const cache = createAwsCredentialCache({ now: clock, provider: p.provider })
  t.equal((await cache.get()).accessKeyId, 'AKIA1')
  clock.advance(9 * 60_000)
  t.equal((await cache.get()).accessKeyId, 'AKIA1', '6 minutes left: still cached')
  t.equal(p.calls(), 1)
  clock.advance(2 * 60_000)
  const [a, b] = await Promise.all([cache.get(), cache.get()])
  t.equal(a.accessKeyId, 'AKIA2', '4 minutes left: refreshed')
  t.equal(b.accessKeyId, 'AKIA2')
  t.equal(p.calls(), 2, 'concurrent callers share one refresh')
})

t.test('a failed refresh keeps serving credentials that are still valid, and fails once they are not', async (t) => {
  const clock = testClock()
  const p = fakeProvider((n) => n === 1 ? { accessKeyId: 'AKIA1', secretAccessKey: 's', expiration: new Date(clock.now + 10 * 60_000) } : new Error('metadata endpoint down'))
  const cache = createAwsCredentialCache({ now: clock, provider: p.provider })
  await cache.get()
  clock.advance(7 * 60_000)
  t.equal((await cache.get()).accessKeyId, 'AKIA1', 'refresh failed, 3 minutes left: the old credentials serve')
  clock.advance(3 * 60_000)
  await t.rejects(cache.get(), { name: 'AwsCredentialsError', message: /metadata endpoint down/ })
})

t.test('static credentials never expire in the cache; an invalidation makes the next get run the chain', async (t) => {
  const p = fakeProvider((n) => ({ accessKeyId: `AKIA${n}`, secretAccessKey: 's' }))
  const cache = createAwsCredentialCache({ provider: p.provider })
  const first = await cache.get()
  await cache.get()
  t.equal(p.calls(), 1)
  cache.invalidate({ accessKeyId: 'AKIA-other', secretAccessKey: 's' })
  t.equal((await cache.get()).accessKeyId, 'AKIA1', 'invalidating other credentials changes nothing')
  cache.invalidate(first)
  t.equal((await cache.get()).accessKeyId, 'AKIA2')
})
