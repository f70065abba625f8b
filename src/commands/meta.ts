/** Static facts about a Redis command, from Redis 7.2's command table. */
export interface CommandMeta {
  arity: number
  /** Flags as COMMAND INFO prints them (`write`, `readonly`, `denyoom`, `fast`, ...). */
  flags: string[]
  /** ACL categories as COMMAND INFO prints them (`@read`, `@string`, ...). */
  acl: string[]
  /** Legacy key range: first key, last key, step. */
  keys: [number, number, number]
  group: string
  tips: string[]
  specs: unknown[]
  movable: boolean
  subs: string[]
  /** Redis's MAY_REPLICATE command flag (not shown by COMMAND INFO). */
  mayReplicate?: boolean
}

/** What COMMAND DOCS reports. */
export interface CommandDocs {
  summary: string
  since: string
  group: string
  complexity?: string
  doc_flags?: string[]
  deprecated_since?: string
  replaced_by?: string
  history?: Array<[string, string]>
  arguments?: unknown[]
}
