// cluster-key-slot (the CRC16 slot function ioredis itself uses) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (0–16383) of a key: of the text inside its first non-empty {…}, else of the whole key. */
  const calculateSlot: ((key: string | Buffer) => number) & {
    /** The one slot of all keys, or -1 when they span several. */
    generateMulti: (keys: ReadonlyArray<string | Buffer>) => number
  }
  export default calculateSlot
}
