// The seed guide's walkthrough end to end, with the real bin and a real `rotor serve`.
import t from 'tap'
import { startFakeAnthropic, errorBody, messageBody } from '../helpers/fake-anthropic.ts'
import { startFakeUpstream, completion } from '../helpers/fake-upstream.ts'
import { cliHome, statusProfile, until, ANTHROPIC_KEY, OPENAI_KEY } from './cli-env.ts'

t.test('onboard Anthropic, OpenAI as fallback, aliases opus and gpt, a 429 falls over to gpt, clear-cooldown brings anthropic back', async (t) => {
  const anthropic = await startFakeAnthropic({ apiKeys: [ANTHROPIC_KEY] })
  t.teardown(() => anthropic.close())
  const openai = await startFakeUpstream((req) => ({ body: completion('hello from gpt', String(req.body.model)) }))
  t.teardown(() => openai.close())
  const h = await cliHome(t, { gateway: true })
  // Only the upstream addresses: everything else comes from the CLI.
  h.writeConfig({ models: { providers: { anthropic: { baseUrl: anthropic.baseUrl }, openai: { baseUrl: `${openai.url}/v1` } } } })

  // 1. Onboard an Anthropic key: the primary becomes opus.
  const a = await h.cli(['onboard', '--anthropic-api-key', ANTHROPIC_KEY])
  t.equal(a.code, 0, a.stderr)
  t.match(a.stdout, 'Primary model: anthropic/claude-opus-4-5')
  // 2. Onboard an OpenAI key: it becomes the fallback.
  const o = await h.cli(['onboard', '--openai-api-key', OPENAI_KEY])
  t.equal(o.code, 0, o.stderr)
  t.match(o.stdout, 'Fallback added: openai/gpt-5.2')
  // 3. Aliases opus and gpt.
  const cfg = h.readConfig() as { agents: { defaults: { model: unknown, models: Record<string, unknown> } } }
  t.same(cfg.agents.defaults.model, { primary: 'anthropic/claude-opus-4-5', fallbacks: ['openai/gpt-5.2'] })
  t.same(cfg.agents.defaults.models, { 'anthropic/claude-opus-4-5': { alias: 'opus' }, 'openai/gpt-5.2': { alias: 'gpt' } })
  const doctor = await h.cli(['doctor'])
  t.equal(doctor.stdout, 'OK\n')

  const gw = await h.serve()
  const chat = async (model: string): Promise<{ status: number, model: string | null, profile: string | null, body: string }> => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) })
    return { status: res.status, model: res.headers.get('x-rotor-model'), profile: res.headers.get('x-rotor-profile'), body: await res.text() }
  }

  anthropic.reply({ kind: 'json', body: messageBody({ content: [{ type: 'text', text: 'hello from opus' }], model: 'claude-opus-4-5' }) })
  const first = await chat('opus')
  t.match(first, { status: 200, model: 'anthropic/claude-opus-4-5', profile: 'anthropic:default' })
  t.match(first.body, 'hello from opus')

  // 4. A 429 from Anthropic falls over to gpt.
  anthropic.reply({ kind: 'json', status: 429, body: errorBody('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit') })
  const failover = await chat('opus')
  t.match(failover, { status: 200, model: 'openai/gpt-5.2', profile: 'openai:default' })
  t.match(failover.body, 'hello from gpt')
  t.equal(openai.requests.at(-1)?.headers.authorization, `Bearer ${OPENAI_KEY}`)

  // The CLI sees the cooldown the gateway recorded.
  const cooling = await until(async () => {
    const r = await h.cli(['models', 'status', '--json'])
    const p = r.code === 0 ? statusProfile(JSON.parse(r.stdout) as Record<string, unknown>, 'anthropic:default') : undefined
    return p?.state === 'cooldown' ? p : undefined
  })
  t.match(cooling, { blocks: [{ scope: 'model', model: 'claude-opus-4-5', reason: 'rate_limit' }] })
  const still = await chat('opus')
  t.match(still, { status: 200, model: 'openai/gpt-5.2' }, 'opus stays on gpt while cooling')
  t.equal(anthropic.requests.length, 2, 'the cooling profile is not tried')

  // 5. clear-cooldown brings anthropic back.
  const cleared = await h.cli(['models', 'auth', 'clear-cooldown', '--provider', 'anthropic'])
  t.equal(cleared.code, 0, cleared.stderr)
  t.match(cleared.stdout, 'Cooldown cleared: anthropic:default')
  anthropic.reply({ kind: 'json', body: messageBody({ content: [{ type: 'text', text: 'opus is back' }], model: 'claude-opus-4-5' }) })
  const back = await chat('opus')
  t.match(back, { status: 200, model: 'anthropic/claude-opus-4-5', profile: 'anthropic:default' })
  t.match(back.body, 'opus is back')
  t.same(anthropic.violations, [], 'every request to the Anthropic fake was well-formed')
})
