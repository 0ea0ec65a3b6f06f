import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// True when the module at metaUrl is the script node was started with
// (scripts here are both importable and runnable).
export function isMain(metaUrl: string): boolean {
  const argv1 = process.argv[1]
  if (argv1 === undefined) return false
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(metaUrl))
  } catch {
    return false
  }
}
