import { fail } from '../core/errors.js'
import type { MapReply, Verbatim } from '../core/reply.js'
import { CONFIG_GET, CONFIG_SET, DBSIZE, FLUSHALL, FLUSHDB, INFO, SWAPDB, TIME } from '../commands/server.js'
import type { StoreCore } from '../store-core.js'
import { dbIndex } from './keys.js'
import { isInt32 } from './strings.js'

/** Server and connection commands on the typed Store. */
export class ServerApi {
  /** DBSIZE: number of keys in the selected database. */
  dbsize(this: StoreCore): number {
    return DBSIZE.run(this.s, undefined) as number
  }

  /** FLUSHDB: deletes every key of the selected database. */
  flushdb(this: StoreCore): 'OK' {
    FLUSHDB.run(this.s, true)
    return 'OK'
  }

  /** FLUSHALL: deletes every key of every database. */
  flushall(this: StoreCore): 'OK' {
    FLUSHALL.run(this.s, true)
    return 'OK'
  }

  /** SELECT: changes the database the typed methods and `call()` use. */
  select(this: StoreCore, db: number): 'OK' {
    this.s.select(dbIndex(this, db))
    return 'OK'
  }

  /** SWAPDB: exchanges the contents of two databases. */
  swapdb(this: StoreCore, a: number, b: number): 'OK' {
    const n = this.ks.dbs.length
    if (!isInt32(a)) fail('invalid first DB index')
    if (!isInt32(b)) fail('invalid second DB index')
    if (a < 0 || b < 0 || a >= n || b >= n) fail('DB index is out of range')
    SWAPDB.run(this.s, [a, b])
    return 'OK'
  }

  /** TIME: [seconds, microseconds] from the store's clock. */
  time(this: StoreCore): [number, number] {
    const [s, us] = TIME.run(this.s, undefined) as [string, string]
    return [Number(s), Number(us)]
  }

  /** INFO: the INFO text for the given sections (default sections when none). */
  info(this: StoreCore, ...sections: string[]): string {
    return (INFO.run(this.s, sections.map((s) => s.toLowerCase())) as Verbatim).value
  }

  /** CONFIG GET: parameters matching the glob-style patterns, as an object. */
  configGet(this: StoreCore, ...patterns: string[]): Record<string, string> {
    if (patterns.length === 0) fail("wrong number of arguments for 'config|get' command")
    const r = CONFIG_GET.run(this.s, patterns) as MapReply
    const out: Record<string, string> = {}
    for (let i = 0; i < r.entries.length; i += 2) out[r.entries[i] as string] = r.entries[i + 1] as string
    return out
  }

  /** CONFIG SET: one parameter, or several at once (all or nothing). */
  configSet(this: StoreCore, name: string | Record<string, string | number>, value?: string | number): 'OK' {
    const pairs: Array<[string, string]> =
      typeof name === 'string'
        ? value === undefined
          ? []
          : [[name.toLowerCase(), String(value)]]
        : Object.entries(name).map(([k, v]) => [k.toLowerCase(), String(v)])
    if (pairs.length === 0) fail("wrong number of arguments for 'config|set' command")
    CONFIG_SET.run(this.s, pairs)
    return 'OK'
  }

  /** PING. */
  ping(this: StoreCore, message?: string): string {
    return message ?? 'PONG'
  }

  /** ECHO. */
  echo(this: StoreCore, message: string): string {
    return message
  }
}
