#!/usr/bin/env node
/**
 * `npx embedis`: a RESP server over a new Store, for redis-cli,
 * redis-benchmark and any language's Redis client.
 *
 *   embedis [--port 6379] [--bind 127.0.0.1] [--requirepass pw] [--databases 16]
 *           [--dir d] [--dbfilename f] [--save "3600 1 300 100"] [--appendonly yes] [--appendfsync everysec]
 */
import process from 'node:process'
import { parseArgs } from 'node:util'
import { createServer } from '../server/server.js'
import { lua } from '../scripting/index.js'
import { Store } from '../store.js'
import { openStore, progressBar, serverPersistence, type ServerPersistenceOptions } from '../persistence/index.js'

const USAGE = `Usage: embedis [options]

Starts a Redis-compatible server (RESP2/RESP3) backed by an in-process embedis Store.

Options:
  --port <n>          TCP port (default 6379; 0 picks a free one)
  --bind <address>    interface to listen on (default 127.0.0.1)
  --requirepass <pw>  require AUTH with this password
  --databases <n>     number of databases (default 16)
  --config <k=v>      any CONFIG SET parameter, repeatable (e.g. --config notify-keyspace-events=KEA)

Persistence (off unless one of these is given; files are those redis-server writes):
  --dir <path>              working directory for dump.rdb and appendonlydir (default .)
  --dbfilename <name>       RDB file name (default dump.rdb)
  --save "<sec> <changes> ..."  RDB save rules ('' for none; default with --dir: 3600 1 300 100 60 10000)
  --appendonly yes|no       multi-part AOF (default no)
  --appendfsync always|everysec|no   AOF fsync policy (default everysec)
  --appenddirname <name>    AOF directory name (default appendonlydir)
  --appendfilename <name>   AOF base file name (default appendonly.aof)
  --quiet             no banner
  -v, --version       print the version
  -h, --help          this help
`

export interface CliResult {
  close(): Promise<void>
  port: number
  /** Settles once the store has closed (SHUTDOWN, or `close()`) and the server has stopped. */
  closed: Promise<void>
}

/** Runs the CLI with `argv` (without node and script); resolves once listening. */
export async function main(argv: string[], log: (line: string) => void = (l) => console.log(l)): Promise<CliResult | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '6379' },
      bind: { type: 'string', default: '127.0.0.1' },
      requirepass: { type: 'string' },
      databases: { type: 'string', default: '16' },
      config: { type: 'string', multiple: true },
      dir: { type: 'string' },
      dbfilename: { type: 'string' },
      save: { type: 'string' },
      appendonly: { type: 'string' },
      appendfsync: { type: 'string' },
      appenddirname: { type: 'string' },
      appendfilename: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      version: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) {
    log(USAGE)
    return undefined
  }
  if (values.version) {
    log(`embedis (redis_version ${new Store({ activeExpiry: false }).redisVersion})`)
    return undefined
  }
  const databases = positive(values.databases!, 'databases')
  const persistence = persistenceOptions(values)
  const store =
    persistence === undefined
      ? new Store({ databases, scripting: lua() })
      : await openStore({
          databases,
          scripting: lua(),
          persistence: serverPersistence(persistence),
          ...(values.quiet ? {} : { onProgress: progressBar(process.stderr) }),
        })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port '${values.port}'`)
  for (const kv of values.config ?? []) {
    const i = kv.indexOf('=')
    if (i <= 0) throw new Error(`--config expects name=value, got '${kv}'`)
    store.call('CONFIG', 'SET', kv.slice(0, i), kv.slice(i + 1))
  }
  const server = createServer({
    store,
    port,
    host: values.bind!,
    ...(values.requirepass !== undefined ? { requirepass: values.requirepass } : {}),
  })
  const addr = await server.listen()
  // SHUTDOWN closes the store, and with it the server: the process is then done (the entry point exits 0, as redis-server does).
  const closed = new Promise<void>((resolve) => {
    store.closeHooks.push(() => {
      void server.close().then(() => {
        if (!values.quiet) log('embedis is now ready to exit, bye bye...')
        resolve()
      })
    })
  })
  if (!values.quiet) {
    log(`embedis ${store.redisVersion}-compatible server, pid ${process.pid}`)
    log(`Ready to accept connections on ${addr.host}:${addr.port}${values.requirepass !== undefined ? ' (AUTH required)' : ''}`)
  }
  return {
    port: addr.port,
    closed,
    async close() {
      await server.close()
      store.close()
    },
  }
}

/** redis-server's persistence flags, or undefined when none is given. */
function persistenceOptions(v: Record<string, unknown>): ServerPersistenceOptions | undefined {
  const given = ['dir', 'dbfilename', 'save', 'appendonly', 'appendfsync', 'appenddirname', 'appendfilename'].some((k) => v[k] !== undefined)
  if (!given) return undefined
  const yesNo = (name: string): boolean | undefined => {
    const t = v[name] as string | undefined
    if (t === undefined) return undefined
    if (t !== 'yes' && t !== 'no') throw new Error(`invalid --${name} '${t}': yes or no`)
    return t === 'yes'
  }
  const fsync = v.appendfsync as string | undefined
  if (fsync !== undefined && fsync !== 'always' && fsync !== 'everysec' && fsync !== 'no') throw new Error(`invalid --appendfsync '${fsync}'`)
  const o: ServerPersistenceOptions = {}
  if (v.dir !== undefined) o.dir = v.dir as string
  if (v.dbfilename !== undefined) o.dbfilename = v.dbfilename as string
  if (v.save !== undefined) o.save = v.save as string
  const aof = yesNo('appendonly')
  if (aof !== undefined) o.appendonly = aof
  if (fsync !== undefined) o.appendfsync = fsync
  if (v.appenddirname !== undefined) o.appenddirname = v.appenddirname as string
  if (v.appendfilename !== undefined) o.appendfilename = v.appendfilename as string
  return o
}

function positive(text: string, name: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new Error(`invalid --${name} '${text}'`)
  return n
}

const isEntry = (() => {
  const a = process.argv[1]
  if (a === undefined) return false
  return /(?:^|[\\/])(?:cli|main)\.(?:[cm]?[jt]s)$/.test(a) || /[\\/]embedis$/.test(a)
})()

if (isEntry) {
  main(process.argv.slice(2)).then(
    (running) => {
      if (running === undefined) return
      let stopping = false
      const stop = (signal: string): void => {
        if (stopping) return
        stopping = true
        console.log(`Received ${signal}, shutting down.`)
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        )
      }
      process.on('SIGINT', () => stop('SIGINT'))
      process.on('SIGTERM', () => stop('SIGTERM'))
      void running.closed.then(() => process.exit(0))
    },
    (e: unknown) => {
      console.error(`embedis: ${e instanceof Error ? e.message : String(e)}`)
      process.exit(1)
    },
  )
}
