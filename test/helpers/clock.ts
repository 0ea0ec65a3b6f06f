// An injectable clock for tests: `clock()` is now, `clock.advance(ms)` moves it. No server imports,
// so state-only tests can use it too.
export interface TestClock { now: number, advance (ms: number): void, (): number }

export function testClock (start = Date.UTC(2026, 0, 1)): TestClock {
  const clock = (() => clock.now) as TestClock
  clock.now = start
  clock.advance = (ms) => { clock.now += ms }
  return clock
}
