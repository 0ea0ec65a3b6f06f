// Bounded waits for tests: a test that waits on an event or a condition fails fast, with a
// message naming what did not happen, instead of hanging until tap's timeout.

/**
 * `p`, or a rejection after `ms` naming `what`. The timer is ref'd, so it also keeps the
 * process alive while the awaited thing relies on unref'd handles (watchers, timers).
 */
export function within<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/** Polls `cond` every `intervalMs` until it holds; rejects after `ms` naming `what`. */
export async function until (cond: () => boolean | Promise<boolean>, ms: number, what: string, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await cond()) return
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
