// The GET of an agent's stats version, shared by the readStats calls of one event-loop turn.
//
// Why sharing is safe: a request must see every change that finished before its client sent
// it. The first caller opens a batch; the GET is written to the socket only when the batch
// closes (setImmediate: after this turn's I/O callbacks), and a caller may join only while
// the batch is open. So the GET is written after every joiner started, hence after each
// joiner's request arrived, hence after every change its client could have seen — Redis runs
// it after those changes. The GET is sent directly (not through ioredis auto-pipelining,
// which may hold a command behind a pipeline in flight) so that "written when the batch
// closes" holds as stated.
import { Command } from 'ioredis'
import type { StateClient } from './connection.ts'

export type VersionReader = (agent: string) => Promise<unknown>

export function createVersionReader (client: StateClient, keyOf: (agent: string) => string): VersionReader {
  const open = new Map<string, Promise<unknown>>()

  function send (agent: string): Promise<unknown> {
    const cmd = new Command('get', [keyOf(agent)], { replyEncoding: 'utf8' })
    void client.sendCommand(cmd)
    return cmd.promise
  }

  return (agent) => {
    let batch = open.get(agent)
    if (batch === undefined) {
      batch = new Promise((resolve) => {
        setImmediate(() => {
          open.delete(agent)
          resolve(send(agent))
        })
      })
      open.set(agent, batch)
    }
    return batch
  }
}
