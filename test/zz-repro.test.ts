import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:http'
import { spawnGateway } from './helpers/spawn-gateway.ts'

const ERR = 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
const PING = 'event: ping\ndata: {"type":"ping"}\n\n'
const START = 'event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1}}}\n\n'
const BLOCK = 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":"hi"}}\n\n'
const scripts: Record<string, Array<string | number>> = {
  oneWrite: [ERR + PING],
  errPingNoDelay: [ERR, PING],
  lateOne: [START + BLOCK, 30, ERR + PING],
  lateNoDelay: [START + BLOCK, 30, ERR, PING],
  garbage: [START + BLOCK, 30, 'data: {garbage\n\n' + PING],
  garbageOnly: ['foo\nbar: baz\n\n\x00\x01\n\n'],
}
t.test('crash', async (t) => {
  let mode = ''
  const server = createServer((req, res) => {
    req.resume(); req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      for (const s of scripts[mode]) {
        if (typeof s === 'number') await new Promise((r) => setTimeout(r, s))
        else await new Promise<void>((r) => res.write(s, () => r()))
      }
      res.end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as any).port
  for (const m of Object.keys(scripts)) {
    mode = m
    const home = mkdtempSync(join(tmpdir(), 'hs-'))
    writeFileSync(join(home, 'rotor.json'), JSON.stringify({
      models: { mode: 'replace', providers: { an: { baseUrl: `http://127.0.0.1:${port}/v1`, api: 'anthropic-messages', apiKey: 'sk-ant-api03-xxxxxxxxxxxx', models: [{ id: 'c' }] } } },
      agents: { defaults: { model: { primary: 'an/c' } } },
    }))
    const gw = await spawnGateway(['--port', '0'], { PATH: process.env.PATH, HOME: home, ROTOR_HOME: home })
    let stderr = ''
    gw.child.stderr!.on('data', (d) => { stderr += d })
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'hi' }] }) }).catch((e) => e)
    const body = r.text ? await r.text().catch((e: any) => String(e)) : ''
    await new Promise((r) => setTimeout(r, 300))
    const h = await fetch(`${gw.url}/healthz`).then((x) => x.status).catch(() => 'dead')
    console.log(m, r.status ?? String(r), body.slice(0, 120).replace(/\n/g, ' '), 'health', h, 'exit', gw.child.exitCode, stderr.split('\n').slice(0, 3).join(' | '))
    await gw.stop()
  }
  server.close()
})
