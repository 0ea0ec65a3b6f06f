// docker/entrypoint.sh on its own: config discovery, the home-volume check, subcommands.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import t from 'tap'
import { ROOT } from './deploy-files.ts'

const SCRIPT = join(ROOT, 'docker/entrypoint.sh')
const PRINT_ENV = ['node', '-e', 'process.stdout.write(JSON.stringify({config: process.env.ROTOR_CONFIG ?? null, home: process.env.ROTOR_HOME}))']

function run(args: readonly string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', [SCRIPT, ...args], {
    cwd: ROOT,
    env: { PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter), ...env },
    encoding: 'utf8',
    timeout: 20_000,
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

t.test('the entrypoint picks the config from the config volume when ROTOR_CONFIG is unset', async (t) => {
  const dir = t.testdir({ config: { 'rotor.json5': '{}' }, data: {} })
  const r = run(PRINT_ENV, { ROTOR_HOME: join(dir, 'data'), ROTOR_CONFIG_DIR: join(dir, 'config') })
  t.equal(r.status, 0, 'exits 0', { stderr: r.stderr })
  t.same(JSON.parse(r.stdout), { config: join(dir, 'config', 'rotor.json5'), home: join(dir, 'data') })
})

t.test('an explicit ROTOR_CONFIG wins over the config volume', async (t) => {
  const dir = t.testdir({ config: { 'rotor.json': '{}' } })
  const r = run(PRINT_ENV, { ROTOR_HOME: join(dir, 'data'), ROTOR_CONFIG_DIR: join(dir, 'config'), ROTOR_CONFIG: '/elsewhere/rotor.yaml' })
  t.equal(r.status, 0, 'exits 0', { stderr: r.stderr })
  t.equal(JSON.parse(r.stdout).config, '/elsewhere/rotor.yaml', 'ROTOR_CONFIG is kept')
})

t.test('with an empty config volume rotor is left to its own lookup', async (t) => {
  const dir = t.testdir({ config: {} })
  const r = run(PRINT_ENV, { ROTOR_HOME: join(dir, 'data'), ROTOR_CONFIG_DIR: join(dir, 'config') })
  t.equal(r.status, 0, 'exits 0', { stderr: r.stderr })
  t.equal(JSON.parse(r.stdout).config, null, 'ROTOR_CONFIG stays unset')
})

t.test('the entrypoint creates ROTOR_HOME and refuses one it cannot use', async (t) => {
  const dir = t.testdir({})
  const ok = run(PRINT_ENV, { ROTOR_HOME: join(dir, 'new', 'home'), ROTOR_CONFIG_DIR: join(dir, 'none') })
  t.equal(ok.status, 0, 'a missing home is created', { stderr: ok.stderr })
  const file = join(dir, 'a-file')
  writeFileSync(file, '')
  const bad = run(PRINT_ENV, { ROTOR_HOME: join(file, 'home'), ROTOR_CONFIG_DIR: join(dir, 'none') })
  t.equal(bad.status, 1, 'a home under a file is refused')
  t.match(bad.stderr, /ROTOR_HOME .* is not a writable directory/)
  t.equal(bad.stdout, '', 'the command did not run')
})

t.test('a bare rotor subcommand runs the CLI', async (t) => {
  const dir = t.testdir({})
  mkdirSync(join(dir, 'home'))
  const r = run(['serve', '--help'], { ROTOR_HOME: join(dir, 'home'), HOME: join(dir, 'home'), ROTOR_CONFIG_DIR: join(dir, 'none') })
  t.equal(r.status, 0, 'exits 0', { stderr: r.stderr })
  t.match(r.stdout, /--config/, 'serve --help came from rotor')
})

t.test('--help and --version answer instead of failing to exec them', async (t) => {
  const dir = t.testdir({ home: {} })
  const env = { ROTOR_HOME: join(dir, 'home'), HOME: join(dir, 'home'), ROTOR_CONFIG_DIR: join(dir, 'none') }
  const help = run(['--help'], env)
  t.equal(help.status, 0, help.stderr)
  t.match(help.stdout, /docker run .*-v rotor-home:\/data/s, 'the single-container run, with a named volume')
  t.match(help.stdout, /ROTOR_CLIENT_KEY/, 'and the keys it needs')
  t.match(help.stdout, /Usage: rotor \[options\] \[command\]/, 'then rotor\'s own help')
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  for (const flag of ['--version', '-V']) {
    const version = run([flag], env)
    t.equal(version.status, 0, version.stderr)
    t.equal(version.stdout, `rotor ${pkg.version}\n`, `${flag} prints the package version`)
  }
})

t.test('options alone go to rotor serve', async (t) => {
  const dir = t.testdir({ home: {} })
  const r = run(['--help-me-not'], { ROTOR_HOME: join(dir, 'home'), HOME: join(dir, 'home'), ROTOR_CONFIG_DIR: join(dir, 'none') })
  t.equal(r.status, 2, 'a usage error from rotor serve')
  t.match(r.stderr, /unknown option '--help-me-not'/, 'rotor serve read the option')
})
