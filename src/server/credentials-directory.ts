// One open credentials file per agent, kept across reloads (its cache and lock are per path).
import { openCredentialsFile } from '../auth/credentials-file.ts'
import { authProfilesPath } from '../config/paths.ts'

export type CredentialsFile = ReturnType<typeof openCredentialsFile>

export interface CredentialsDirectory {
  readonly home: string
  file (agent: string): CredentialsFile
}

export function createCredentialsDirectory (home: string): CredentialsDirectory {
  const files = new Map<string, CredentialsFile>()
  return {
    home,
    file (agent) {
      let f = files.get(agent)
      if (f === undefined) {
        f = openCredentialsFile(authProfilesPath(home, agent))
        files.set(agent, f)
      }
      return f
    },
  }
}
