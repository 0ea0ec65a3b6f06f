// What the store's client knows of the topology right now, for GET /admin/status: no Redis
// round trip (status must answer while Redis is away), no credentials (addresses only).
import type { RedisTopology } from '../../config/types.ts'
import { isCluster, type StateClient } from './connection.ts'

export interface TopologyView {
  readonly kind: RedisTopology['kind']
  /** The configured topology, passwords masked. */
  readonly target: string
  /** ioredis connection status: ready, connecting, reconnecting, … */
  readonly connection: string
  /** Cluster: the masters and replicas the client's slot map names. */
  readonly masters?: string[]
  readonly replicas?: string[]
  /** Cluster: slots the client knows a master for (of 16384). */
  readonly slotsCovered?: number
  /** Sentinel (and standalone): the address the client is connected to now. */
  readonly connectedTo?: string
}

export function topologyView (client: StateClient, kind: RedisTopology['kind'], target: string): TopologyView {
  const base = { kind, target, connection: client.status }
  if (isCluster(client)) {
    // The slot map: per slot, the master's address first, then its replicas'.
    const masters = new Set<string>()
    const replicas = new Set<string>()
    let covered = 0
    for (const nodes of client.slots) {
      if (!Array.isArray(nodes) || nodes.length === 0) continue
      covered++
      masters.add(nodes[0])
      for (const r of nodes.slice(1)) replicas.add(r)
    }
    return { ...base, masters: [...masters].sort(), replicas: [...replicas].sort(), slotsCovered: covered }
  }
  const stream = client.stream as { remoteAddress?: string, remotePort?: number } | undefined
  const connectedTo = client.status === 'ready' && stream?.remoteAddress !== undefined ? `${stream.remoteAddress}:${stream.remotePort ?? '?'}` : undefined
  return { ...base, ...(connectedTo !== undefined ? { connectedTo } : {}) }
}
