// The Google refresh grant for Antigravity credentials: the installed-app secret goes with the
// built-in client id only, Google's non-rotating refresh token is kept, and the account's
// project (and any other stored field) survives the refresh.
import t from 'tap'
import { refreshOAuthToken } from '../../../src/auth/oauth/token-endpoints.ts'
import { RefreshError } from '../../../src/core/errors.ts'
import { GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, startFakeCloudCode } from '../../helpers/fake-cloudcode.ts'

t.test('a refresh sends client id and secret, keeps the refresh token and the projectId', async (t) => {
  const cc = await startFakeCloudCode()
  t.teardown(() => cc.close())
  const account = cc.seed({ expired: true })
  const now = 1767225600_000
  const next = await refreshOAuthToken({
    provider: 'google-antigravity',
    current: { access: account.access, refresh: account.refresh, expires: now - 1, fields: { projectId: 'proj-7', email: account.email } },
    override: { tokenUrl: cc.tokenUrl },
    now,
  })
  t.strictSame(cc.grants, [{ grant_type: 'refresh_token', refresh_token: account.refresh, client_id: GOOGLE_CLIENT_ID, client_secret: GOOGLE_CLIENT_SECRET }])
  t.equal(next.refresh, account.refresh, 'Google sent no new refresh token: the old one stays')
  t.equal(next.expires, now + 3599_000)
  t.strictSame(next.fields, { projectId: 'proj-7', email: account.email })
  t.ok(cc.isCurrent(next.access))
})

t.test('with a configured client of its own, the built-in secret is not sent (Google then refuses)', async (t) => {
  const cc = await startFakeCloudCode()
  t.teardown(() => cc.close())
  const account = cc.seed()
  const err = await refreshOAuthToken({
    provider: 'google-antigravity',
    current: { access: account.access, refresh: account.refresh, expires: 0, fields: {} },
    override: { tokenUrl: cc.tokenUrl, clientId: 'my-own-client.apps.googleusercontent.com' },
    now: Date.now(),
  }).catch((e: unknown) => e)
  t.ok(err instanceof RefreshError)
  t.equal((err as RefreshError).oauthError, 'invalid_client')
  t.equal(cc.grants[0].client_secret, undefined)
})

t.test('a revoked refresh token is invalid_grant, reported without the token', async (t) => {
  const cc = await startFakeCloudCode()
  t.teardown(() => cc.close())
  const err = await refreshOAuthToken({
    provider: 'google-antigravity',
    current: { access: 'ya29.old', refresh: '1//revoked-refresh-token-value', expires: 0, fields: {} },
    override: { tokenUrl: cc.tokenUrl },
    now: Date.now(),
  }).catch((e: unknown) => e)
  t.ok(err instanceof RefreshError)
  t.equal((err as RefreshError).reason, 'HTTP 400 invalid_grant: Bad Request')
  t.notMatch((err as RefreshError).reason, /revoked-refresh-token-value/)
})
