// The refresh grant each provider expects (docs/providers.md) and how token
// responses and OAuth errors are read. The network is a recording fetch function.
import t from 'tap'
import { refreshOAuthToken, type FetchLike } from '../../../src/auth/oauth/token-endpoints.ts'
import type { StoredToken } from '../../../src/auth/oauth/types.ts'
import { RefreshError } from '../../../src/core/errors.ts'
import { unsignedJwt } from '../../helpers/fake-token-endpoint.ts'

interface Sent { url: string, contentType: string, body: string }

function recorder (status: number, answer: unknown): { fetch: FetchLike, sent: Sent[] } {
  const sent: Sent[] = []
  return {
    sent,
    fetch: async (url, init) => {
      const headers = new Headers(init.headers)
      sent.push({ url, contentType: headers.get('content-type') ?? '', body: String(init.body) })
      return new Response(typeof answer === 'string' ? answer : JSON.stringify(answer), { status, headers: { 'content-type': 'application/json' } })
    },
  }
}

const NOW = Date.UTC(2026, 0, 1)
const current: StoredToken = { access: 'old-access', refresh: 'old-refresh', expires: NOW - 1000, fields: { email: 'me@example.com' } }

t.test('Anthropic: JSON body to console.anthropic.com with the Claude Code client id', async (t) => {
  const r = recorder(200, { access_token: 'sk-ant-oat01-new', refresh_token: 'sk-ant-ort01-new', expires_in: 28800 })
  const next = await refreshOAuthToken({ provider: 'anthropic', current, override: undefined, now: NOW, fetch: r.fetch })
  t.equal(r.sent[0].url, 'https://console.anthropic.com/v1/oauth/token')
  t.equal(r.sent[0].contentType, 'application/json')
  t.strictSame(JSON.parse(r.sent[0].body), { grant_type: 'refresh_token', refresh_token: 'old-refresh', client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e' })
  t.strictSame(next, { access: 'sk-ant-oat01-new', refresh: 'sk-ant-ort01-new', expires: NOW + 28800_000, fields: { email: 'me@example.com' } })
})

t.test('OpenAI Codex: a form body; the account id comes from the new access token', async (t) => {
  const access = unsignedJwt({ exp: NOW / 1000 + 864000, 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-9' } })
  const r = recorder(200, { access_token: access, refresh_token: 'rt-2', id_token: 'id-2', expires_in: 864000 })
  const next = await refreshOAuthToken({ provider: 'openai-codex', current, override: undefined, now: NOW, fetch: r.fetch })
  t.equal(r.sent[0].url, 'https://auth.openai.com/oauth/token')
  t.equal(r.sent[0].contentType, 'application/x-www-form-urlencoded')
  t.strictSame(Object.fromEntries(new URLSearchParams(r.sent[0].body)), { grant_type: 'refresh_token', refresh_token: 'old-refresh', client_id: 'app_EMoamEEZ73f0CkXaXp7hrann' })
  t.strictSame(next.fields, { email: 'me@example.com', idToken: 'id-2', accountId: 'acct-9' })
})

t.test('Qwen Portal: resource_url is kept; a missing refresh_token keeps the old one', async (t) => {
  const r = recorder(200, { access_token: 'q-new', token_type: 'Bearer', expires_in: 3600, resource_url: 'portal.qwen.ai' })
  const next = await refreshOAuthToken({ provider: 'qwen-portal', current, override: undefined, now: NOW, fetch: r.fetch })
  t.equal(r.sent[0].url, 'https://chat.qwen.ai/api/v1/oauth2/token')
  t.equal(new URLSearchParams(r.sent[0].body).get('client_id'), 'f0304373b74a44d2b584a3fb70ca9e56')
  t.equal(next.refresh, 'old-refresh')
  t.equal(next.fields.resourceUrl, 'portal.qwen.ai')
})

t.test('Google Antigravity: Google\'s endpoint with the client secret stored on the credential; refresh tokens do not rotate', async (t) => {
  const r = recorder(200, { access_token: 'ya29.new', expires_in: 3599, scope: 'x', token_type: 'Bearer' })
  const withSecret: StoredToken = { ...current, fields: { projectId: 'proj-1', clientSecret: 'shh' } }
  const next = await refreshOAuthToken({ provider: 'google-antigravity', current: withSecret, override: undefined, now: NOW, fetch: r.fetch })
  t.equal(r.sent[0].url, 'https://oauth2.googleapis.com/token')
  const form = Object.fromEntries(new URLSearchParams(r.sent[0].body))
  t.equal(form.client_id, '1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com')
  t.equal(form.client_secret, 'shh')
  t.equal(next.refresh, 'old-refresh')
  t.equal(next.fields.projectId, 'proj-1')
})

t.test('Chutes: the configured client id; config overrides the token URL', async (t) => {
  const r = recorder(200, { access_token: 'c-new', refresh_token: 'c-r2', expires_in: 3600 })
  await refreshOAuthToken({ provider: 'chutes', current, override: { tokenUrl: 'http://127.0.0.1:1/idp/token', clientId: 'cid_mine' }, now: NOW, fetch: r.fetch })
  t.equal(r.sent[0].url, 'http://127.0.0.1:1/idp/token')
  t.equal(new URLSearchParams(r.sent[0].body).get('client_id'), 'cid_mine')
})

t.test('an unknown provider needs a configured token URL', async (t) => {
  const err = await refreshOAuthToken({ provider: 'mystery', current, override: undefined, now: NOW, fetch: recorder(200, {}).fetch }).catch((e: unknown) => e)
  t.ok(err instanceof RefreshError)
  t.equal((err as RefreshError).reason, 'no token endpoint known; set models.providers.mystery.oauth.tokenUrl')
})

t.test('OAuth errors become "HTTP <status> <code>: <description>", secrets masked', async (t) => {
  const cases: Array<[number, unknown, string]> = [
    [400, { error: 'invalid_grant', error_description: 'Refresh token expired' }, 'HTTP 400 invalid_grant: Refresh token expired'],
    [401, { error: { message: 'Your refresh token has already been used', type: 'invalid_request_error', code: 'refresh_token_reused' } }, 'HTTP 401 refresh_token_reused: Your refresh token has already been used'],
    [502, '<html>bad gateway</html>', 'HTTP 502'],
    [400, { error: 'invalid_grant', error_description: 'token sk-ant-ort01-abcdefghijklmnopqrstuvwxyz is revoked' }, 'HTTP 400 invalid_grant: token sk-ant-…wxyz is revoked'],
  ]
  for (const [status, body, reason] of cases) {
    const err = await refreshOAuthToken({ provider: 'anthropic', current, override: undefined, now: NOW, fetch: recorder(status, body).fetch }).catch((e: unknown) => e)
    t.equal((err as RefreshError).reason, reason)
  }
})

t.test('an endpoint that echoes the refresh token or client secret it was sent: the reason holds neither', async (t) => {
  const sent: StoredToken = { access: 'opaque-access-0123456789', refresh: 'opaque-refresh-0123456789', expires: NOW - 1000, fields: { clientSecret: 'client-secret-0123' } }
  const body = { error: 'invalid_grant', error_description: `refresh_token=${sent.refresh} (client client-secret-0123) is not valid` }
  const err = await refreshOAuthToken({ provider: 'google-antigravity', current: sent, override: undefined, now: NOW, fetch: recorder(400, body).fetch }).catch((e: unknown) => e)
  t.ok(err instanceof RefreshError)
  t.equal((err as RefreshError).reason, 'HTTP 400 invalid_grant: refresh_token=opa…6789 (client cli…0123) is not valid')
})

t.test('a success without an access token is a failure, not an empty token', async (t) => {
  const err = await refreshOAuthToken({ provider: 'anthropic', current, override: undefined, now: NOW, fetch: recorder(200, { token_type: 'Bearer' }).fetch }).catch((e: unknown) => e)
  t.equal((err as RefreshError).reason, 'HTTP 200: the token response has no access_token')
})
