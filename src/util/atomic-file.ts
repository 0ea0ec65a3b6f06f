// Atomic file writes: readers see the old or the new file, never a partial one.
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** A unique hidden temp path next to `path` (same directory, so rename is atomic). */
export function tmpPathFor (path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
}

/**
 * Writes `text` via a temp file in the same directory (fsync, then rename) with `mode`.
 * Parent dirs are created 0700.
 */
export async function writeFileAtomic (path: string, text: string, mode: number): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const tmp = tmpPathFor(path)
  try {
    const fh = await open(tmp, 'wx', mode)
    try {
      await fh.writeFile(text, 'utf8')
      await fh.chmod(mode) // open()'s mode is filtered by the umask
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
  // Make the rename itself durable; not supported everywhere (e.g. Windows), so best effort.
  try {
    const dh = await open(dir, 'r')
    try { await dh.sync() } finally { await dh.close() }
  } catch {}
}

/** `data` as pretty JSON, written atomically (see writeFileAtomic). */
export async function writeJsonAtomic (path: string, data: unknown, mode = 0o600): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(data, null, 2) + '\n', mode)
}
