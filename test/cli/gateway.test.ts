import t from 'tap'
import { cliHome, OPENAI_KEY } from './cli-env.ts'

const ADMIN_KEY = 'admin-key-NNNNNNNNNNNNNNNN'

t.test('gateway status, reload and restart talk to a running gateway with its admin key', async (t) => {
  const h = await cliHome(t, { gateway: true, env: { ROTOR_ADMIN_KEY: ADMIN_KEY } })
  h.writeConfig({ gateway: { adminKey: '${ROTOR_ADMIN_KEY}' } })
  await h.serve()

  const status = await h.cli(['gateway', 'status'])
  t.equal(status.code, 0, status.stderr)
  t.match(status.stdout, `Gateway: running at http://127.0.0.1:${h.env.ROTOR_PORT}`)
  t.match(status.stdout, 'Ready: ready (state store memory)')
  const json = await h.json(['gateway', 'status', '--json'])
  t.match(json, { running: true, readyz: { status: 200, body: { status: 'ready' } } })

  const reload = await h.cli(['gateway', 'reload'])
  t.equal(reload.code, 0, reload.stderr)
  t.match(reload.stdout, 'reloaded its configuration')
  const restart = await h.cli(['gateway', 'restart'])
  t.equal(restart.code, 0, restart.stderr)
  t.match(restart.stdout, 'no process restart')

  const wrongKey = await h.cli(['gateway', 'reload'], undefined, { ROTOR_ADMIN_KEY: 'not-the-admin-key-000' })
  t.equal(wrongKey.code, 1)
  t.match(wrongKey.stderr, 'rejected the reload')
  t.notMatch(wrongKey.stderr, 'not-the-admin-key-000')

  // Commands that change config or credentials tell the running gateway.
  const onboard = await h.cli(['onboard', '--openai-api-key', OPENAI_KEY])
  t.equal(onboard.code, 0, onboard.stderr)
  t.match(onboard.stderr, `Gateway at http://127.0.0.1:${h.env.ROTOR_PORT} reloaded.`)
  const models = await (await fetch(`http://127.0.0.1:${h.env.ROTOR_PORT}/v1/models`)).json() as { data: Array<{ id: string }> }
  t.ok(models.data.some((m) => m.id === 'gpt'), 'the gateway serves the alias onboard added')
})

t.test('with no gateway running, status and reload exit 1 and other commands still work', async (t) => {
  const h = await cliHome(t)
  const status = await h.cli(['gateway', 'status'])
  t.equal(status.code, 1)
  t.match(status.stdout, 'Gateway: not running at')
  const reload = await h.cli(['gateway', 'reload'])
  t.equal(reload.code, 1)
  t.match(reload.stderr, 'no gateway is running')
  const onboard = await h.cli(['onboard', '--openai-api-key', OPENAI_KEY])
  t.equal(onboard.code, 0)
  t.equal(onboard.stderr, '', 'no reload attempt is reported when none runs')
})
