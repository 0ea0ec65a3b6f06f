// The fake Cloud Code Assist server refuses what the real API refuses, so the gateway tests'
// "no violations" means something: unsanitised schema keywords, a missing or foreign project,
// OpenAI roles, a missing Antigravity identity, a dead token.
import t from 'tap'
import { CLOUD_CODE_HEADERS } from '../../../src/auth/oauth/google-project.ts'
import { startFakeCloudCode } from '../../helpers/fake-cloudcode.ts'

t.test('the fake refuses bad generate requests with Google\'s status and error shape', async (t) => {
  const cc = await startFakeCloudCode()
  t.teardown(() => cc.close())
  const { access } = cc.seed()
  const good = {
    project: cc.project, model: 'gemini-3-flash', requestType: 'agent', userAgent: 'antigravity', requestId: 'agent-1-a',
    request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
  }
  const send = async (body: unknown, headers: Record<string, string> = { ...CLOUD_CODE_HEADERS, authorization: `Bearer ${access}` }): Promise<{ status: number, text: string }> => {
    const res = await fetch(`${cc.url}/v1internal:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    return { status: res.status, text: await res.text() }
  }
  t.equal((await send(good)).status, 200, 'a well-formed request is answered')

  const schema = await send({ ...good, request: { ...good.request, tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } }] }] } })
  t.equal(schema.status, 400)
  t.match(schema.text, /Unknown name \\"additionalProperties\\"/)
  t.match(schema.text, /"status":"INVALID_ARGUMENT"/)
  const noProject = await send({ ...good, project: undefined })
  t.equal(noProject.status, 400)
  t.match(noProject.text, /project is required/)
  const roles = await send({ ...good, request: { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] } })
  t.equal(roles.status, 400)
  t.match(roles.text, /Please use a valid role: user, model/)
  const foreign = await send({ ...good, project: 'someone-elses-project' })
  t.equal(foreign.status, 403)
  t.match(foreign.text, /PERMISSION_DENIED/)
  const anonymous = await send(good, { authorization: `Bearer ${access}` })
  t.equal(anonymous.status, 400)
  t.match(anonymous.text, /not an Antigravity client/)
  const dead = await send(good, { ...CLOUD_CODE_HEADERS, authorization: `Bearer ${cc.seed({ expired: true }).access}` })
  t.equal(dead.status, 401)
  t.match(dead.text, /UNAUTHENTICATED/)
  const recorded = cc.violations.join('\n')
  for (const what of [/additionalProperties/, /project is required/, /valid role/, /not an Antigravity client/]) t.match(recorded, what, 'each refused request is recorded')
  t.notMatch(recorded, /PERMISSION_DENIED|UNAUTHENTICATED/, 'the 403 and 401 are answers, not violations')
})
