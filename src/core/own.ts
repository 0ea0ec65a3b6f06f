// Lookups keyed by names from outside (URL segments, model names, file keys): a plain
// object answers `constructor` or `toString` from its prototype, so only own keys count.

/** `record[key]` when `key` is the record's own property, else undefined. */
export function ownValue<T> (record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined
}
