// Hot reload (docs/configuration.md): file changes, SIGHUP and POST /admin/reload all call reload().
// An invalid new config is reported through onError and the caller keeps serving the old one.
import { watch as fsWatch, lstatSync, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { LoadedConfig } from './types.ts'

export type ReloadResult = { readonly ok: true, readonly config: LoadedConfig } | { readonly ok: false, readonly error: unknown }

export interface ConfigReloaderOptions {
  readonly load: () => LoadedConfig
  /** The config file; undefined when built-in defaults are in use (nothing to watch). */
  readonly path: string | undefined
  readonly onReload: (config: LoadedConfig) => void
  readonly onError: (error: unknown) => void
  /** Watch the file and reload on change. */
  readonly watch?: boolean
  /** Quiet time before a burst of file events triggers one reload. */
  readonly debounceMs?: number
}

export interface ConfigReloader {
  reload(): ReloadResult
  /** The last config this reloader loaded successfully. */
  current(): LoadedConfig | undefined
  close(): void
}

function isSymlink (path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink()
  } catch {
    return false
  }
}

export function createConfigReloader (opts: ConfigReloaderOptions): ConfigReloader {
  let last: LoadedConfig | undefined
  let watcher: FSWatcher | undefined
  let timer: NodeJS.Timeout | undefined
  let closed = false

  const reload = (): ReloadResult => {
    let config: LoadedConfig
    try {
      config = opts.load()
    } catch (error) {
      opts.onError(error)
      return { ok: false, error }
    }
    last = config
    opts.onReload(config)
    return { ok: true, config }
  }

  const schedule = (): void => {
    if (closed) return
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(() => { timer = undefined; if (!closed) reload() }, opts.debounceMs ?? 100)
    timer.unref()
  }

  if (opts.watch === true && opts.path !== undefined) {
    const file = basename(opts.path)
    // A symlinked file (Kubernetes ConfigMap) changes through another name: take every event.
    const anyName = isSymlink(opts.path)
    try {
      // The directory, not the file: editors and atomic writers replace the file by rename,
      // which would leave a file watch on the old inode.
      watcher = fsWatch(dirname(opts.path), { persistent: false }, (_event, name) => {
        if (anyName || name === null || name === file) schedule()
      })
      watcher.on('error', (err) => {
        opts.onError(err)
        watcher?.close()
        watcher = undefined
      })
      watcher.unref()
    } catch (err) {
      opts.onError(err)
    }
  }

  return {
    reload,
    current: () => last,
    close () {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      watcher?.close()
      watcher = undefined
    },
  }
}
