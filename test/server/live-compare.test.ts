/**
 * Multi-connection behaviour compared live with the reference server: the same
 * script runs against valkey-server and against `createServer`, and every
 * connection must receive the same frames after every step (pub/sub across
 * clients, RESP3 pushes, keyspace notifications, WATCH across clients,
 * CLIENT KILL/REPLY, QUIT, AUTH, pipelining, inline commands, protocol errors).
 * Where Valkey 8 departs from Redis 7.2 the scripts avoid the case (the
 * single-connection conformance scenarios carry the corrected replies).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type RespServer } from '../../src/server/index.js'
import { Store } from '../../src/store.js'
import { isValkeyAvailable, startValkey, type ValkeyServer } from '../helpers/valkey.js'
import { compareRuns, parseScript, runScript } from './multi-client.js'

const SCRIPTS: Record<string, string> = {
  'pub/sub across three clients (RESP2)': `
    [a] SUBSCRIBE news sport
    [b] PSUBSCRIBE n* s*
    [c] PUBLISH news hello
    [c] PUBLISH sport "\\x00\\xff"
    [c] PUBLISH other x
    [c] PUBSUB NUMSUB news sport other
    [c] PUBSUB NUMPAT
    [c] PUBSUB CHANNELS n*
    [a] UNSUBSCRIBE news
    [c] PUBLISH news again
    [b] PUNSUBSCRIBE n*
    [c] PUBLISH news third
    [c] PUBLISH sport fourth
    [a] PING
    [a] PING hi
    [a] GET x
    [a] UNSUBSCRIBE sport
    [a] GET x
    [b] PUNSUBSCRIBE s*
    [c] PUBLISH sport nobody
    [c] PUBSUB NUMPAT
  `,
  'pub/sub in RESP3': `
    [a] HELLO 3 # any
    [a] SUBSCRIBE ch
    [a] GET k
    [a] PUBLISH ch self
    [b] PUBLISH ch other
    [a] SET k v
    [a] PING
    [a] PSUBSCRIBE c*
    [b] PUBLISH ch twice
    [a] UNSUBSCRIBE ch
    [a] PUNSUBSCRIBE c*
    [a] HELLO 2 # any
    [a] SSUBSCRIBE sh
    [b] SPUBLISH sh shard
    [b] PUBSUB SHARDCHANNELS
    [b] PUBSUB SHARDNUMSUB sh
    [a] SUNSUBSCRIBE sh
  `,
  'pipelined subscribe and publish': `
    [a] @raw "SUBSCRIBE a\\r\\nSUBSCRIBE b\\r\\nPING\\r\\n"
    [b] @raw "PUBLISH a 1\\r\\nPUBLISH b 2\\r\\nPUBLISH a 3\\r\\n"
    [a] @raw "UNSUBSCRIBE a\\r\\nUNSUBSCRIBE b\\r\\nGET k\\r\\n"
  `,
  'keyspace notifications': `
    [a] CONFIG SET notify-keyspace-events KEA
    [s] PSUBSCRIBE __key*__:*
    [a] SET k v
    [a] APPEND k more
    [a] INCR n
    [a] EXPIRE k 100
    [a] PERSIST k
    [a] RENAME k k2
    [a] DEL k2 n
    [a] DEL k2
    [a] SET e v PX 30
    @sleep 400
    [a] CONFIG SET notify-keyspace-events Kg$
    [a] SET k v
    [a] DEL k
    [a] CONFIG SET notify-keyspace-events Ex
    [a] SET e v PX 30
    @sleep 400
    [a] SELECT 2
    [a] CONFIG SET notify-keyspace-events KA
    [a] SET k v
    [a] CONFIG SET notify-keyspace-events ""
    [a] SET k w
    [s] PUNSUBSCRIBE
  `,
  'WATCH across clients': `
    [a] SET k 1
    [a] WATCH k
    [b] SET k 2
    [a] MULTI
    [a] INCR k
    [a] EXEC
    [a] WATCH k
    [b] GET k
    [a] MULTI
    [a] INCR k
    [a] EXEC
    [a] WATCH k
    [b] FLUSHALL
    [a] MULTI
    [a] PING
    [a] EXEC
    [a] SET k v PX 100
    [a] WATCH k
    @sleep 400
    [a] MULTI
    [a] PING
    [a] EXEC
    [a] WATCH k
    [b] MULTI
    [b] SET k 1
    [a] MULTI
    [a] GET k
    [b] EXEC
    [a] EXEC
  `,
  'CLIENT KILL, REPLY and QUIT': `
    [a] CLIENT SETNAME alpha
    [b] SUBSCRIBE x
    [a] CLIENT KILL SKIPME yes TYPE pubsub
    [c] CLIENT REPLY OFF
    [c] PING
    [c] SET r 1
    [c] CLIENT REPLY ON
    [c] CLIENT REPLY SKIP
    [c] PING 1
    [c] PING 2
    [d] QUIT
    [e] GET r
    [e] QUIT extra
    [f] MULTI
    [f] SET q 1
    [f] QUIT
    [a] GET q
    [a] CLIENT KILL SKIPME no
  `,
  'inline commands and pipelining': `
    [a] @raw "PING\\r\\n"
    [a] @raw "SET k \\"hello world\\"\\r\\nGET k\\r\\n"
    [a] @raw "*1\\r\\n$4\\r\\nPING\\r\\n*2\\r\\n$4\\r\\nECHO\\r\\n$3\\r\\nabc\\r\\n"
    [a] @raw "*2\\r\\n$4\\r\\nECHO\\r\\n$3\\r\\na"
    [a] @raw "bc\\r\\n"
    [a] @raw "\\r\\n\\r\\n  PING  \\r\\n"
    [a] @raw "*0\\r\\n*-1\\r\\nPING\\r\\n"
    [a] @raw "ECHO 'it''s'\\nECHO \\"\\\\x41\\\\n\\"\\n"
    [a] @raw "MULTI\\r\\nINCR c\\r\\nINCR c\\r\\nEXEC\\r\\n"
  `,
  'protocol errors close only the offending connection': `
    [a] SET k v
    [b] @raw "*abc\\r\\n"
    [c] @raw "*1\\r\\n$x\\r\\n"
    [d] @raw "SET k \\"unbalanced\\r\\n"
    [e] @raw "*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$-5\\r\\n"
    [f] @raw "PING\\r\\n*2\\r\\n$4\\r\\nECHO\\r\\nx\\r\\n"
    [g] @raw "*1\\r\\n$4\\r\\nPING\\r\\n*1\\r\\n%3\\r\\n"
    [a] GET k
  `,
  'requirepass and AUTH': `
    [a] CONFIG SET requirepass pw
    [b] GET k
    [b] NOSUCH
    [b] GET
    [b] MULTI
    [b] EXEC
    [b] AUTH wrong
    [b] AUTH pw
    [b] GET k
    [c] HELLO 3
    [c] HELLO 3 AUTH default nope
    [c] HELLO 3 AUTH default pw # any
    [c] GET k
    [c] RESET
    [c] GET k
    [d] @raw "*11\\r\\n"
    [e] @raw "*2\\r\\n$4\\r\\nECHO\\r\\n$20000\\r\\n"
    [a] CONFIG SET requirepass ""
    [f] GET k
  `,
  'RESET clears the connection': `
    [a] SELECT 2
    [a] SET k v
    [a] CLIENT SETNAME n
    [a] SUBSCRIBE ch
    [a] RESET
    [a] CLIENT GETNAME
    [a] GET k
    [b] PUBLISH ch x
    [a] MULTI
    [a] RESET
    [a] EXEC
  `,
}

const enabled = isValkeyAvailable() && process.env.EMBEDIS_LIVE !== '0'

describe.runIf(enabled)('multi-client behaviour against a live valkey-server', () => {
  let valkey: ValkeyServer
  let server: RespServer
  let store: Store
  beforeAll(async () => {
    valkey = await startValkey()
    store = new Store()
    server = createServer({ store, port: 0 })
    await server.listen()
  }, 20_000)
  afterAll(async () => {
    await server?.close()
    store?.close()
    await valkey?.stop()
  })

  for (const [name, text] of Object.entries(SCRIPTS)) {
    it(name, async () => {
      const steps = parseScript(text)
      const flush = parseScript('[z] FLUSHALL\n[z] CONFIG SET notify-keyspace-events ""')
      await runScript(valkey.port, flush)
      await runScript(server.port, flush)
      const expected = await runScript(valkey.port, steps)
      const actual = await runScript(server.port, steps, expected, 15)
      const diffs = compareRuns(steps, expected, actual)
      expect(diffs, diffs.join('\n')).toEqual([])
    }, 30_000)
  }
})
