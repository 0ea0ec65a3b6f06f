import t from 'tap'
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createConfigReloader } from '../../src/config/watch.ts'
import { loadConfig } from '../../src/config/load.ts'
import type { LoadedConfig } from '../../src/config/types.ts'
import { within } from '../helpers/wait.ts'

t.test('reload keeps the old config when the new file is invalid and picks up a valid change', async (t) => {
  const home = t.testdir({ 'rotor.json': '{ gateway: { port: 9001 } }' })
  const file = join(home, 'rotor.json')
  const reloaded: LoadedConfig[] = []
  const errors: unknown[] = []
  const reloader = createConfigReloader({
    load: () => loadConfig({ env: {}, home }),
    path: file,
    onReload: (cfg) => reloaded.push(cfg),
    onError: (err) => errors.push(err),
  })
  t.teardown(() => reloader.close())

  const first = reloader.reload()
  t.equal(first.ok, true)
  t.equal(reloader.current()?.gateway.port, 9001)

  writeFileSync(file, '{ gateway: { port: "nope" } }')
  const bad = reloader.reload()
  t.equal(bad.ok, false)
  t.equal(errors.length, 1)
  t.match((errors[0] as Error).message, '/gateway/port must be integer')
  t.equal(reloaded.length, 1, 'onReload not called for the invalid file')
  t.equal(reloader.current()?.gateway.port, 9001, 'the old config stays current')

  writeFileSync(file, '{ gateway: { port: 9002 } }')
  const good = reloader.reload()
  t.equal(good.ok, true)
  if (good.ok) t.equal(good.config.gateway.port, 9002)
  t.equal(reloaded.length, 2)
  t.equal(reloader.current()?.gateway.port, 9002)
})

t.test('a watched file replaced by rename triggers a reload', async (t) => {
  const home = t.testdir({ 'rotor.json': '{ gateway: { port: 9101 } }' })
  const file = join(home, 'rotor.json')
  let resolveReload: (cfg: LoadedConfig) => void = () => {}
  const next = new Promise<LoadedConfig>((resolve) => { resolveReload = resolve })
  const reloader = createConfigReloader({
    load: () => loadConfig({ env: {}, home }),
    path: file,
    watch: true,
    debounceMs: 20,
    onReload: (cfg) => { if (cfg.gateway.port === 9102) resolveReload(cfg) },
    // A read between truncate and write may fail; the write's own event reloads again.
    onError: () => {},
  })
  t.teardown(() => reloader.close())

  // Like an editor: write a temp file, then rename it over the config.
  writeFileSync(join(home, '.rotor.json.tmp'), '{ gateway: { port: 9102 } }')
  renameSync(join(home, '.rotor.json.tmp'), file)
  // The watcher is unref'd: within() keeps the process alive, and rejects (failing the test at
  // once) when no reload arrives.
  const cfg = await within(next, 10_000, 'reload after the rename')
  t.equal(cfg.gateway.port, 9102)

  // Still watching after the rename replaced the inode.
  const again = new Promise<LoadedConfig>((resolve) => { resolveReload = (cfg) => { if (cfg.gateway.host === '127.0.0.3') resolve(cfg) } })
  writeFileSync(file, '{ gateway: { port: 9102, host: "127.0.0.3" } }')
  const cfg2 = await within(again, 10_000, 'reload after the in-place write')
  t.equal(cfg2.gateway.host, '127.0.0.3')
})
