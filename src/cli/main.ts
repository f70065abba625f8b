#!/usr/bin/env node
/**
 * `npx embedis`: a RESP server over a new Store, for redis-cli,
 * redis-benchmark and any language's Redis client.
 *
 *   embedis [--port 6379] [--bind 127.0.0.1] [--requirepass pw] [--databases 16]
 */
import { parseArgs } from 'node:util'
import { createServer } from '../server/server.js'
import { lua } from '../scripting/index.js'
import { Store } from '../store.js'

const USAGE = `Usage: embedis [options]

Starts a Redis-compatible server (RESP2/RESP3) backed by an in-process embedis Store.

Options:
  --port <n>          TCP port (default 6379; 0 picks a free one)
  --bind <address>    interface to listen on (default 127.0.0.1)
  --requirepass <pw>  require AUTH with this password
  --databases <n>     number of databases (default 16)
  --config <k=v>      any CONFIG SET parameter, repeatable (e.g. --config notify-keyspace-events=KEA)
  --quiet             no banner
  -v, --version       print the version
  -h, --help          this help
`

export interface CliResult {
  close(): Promise<void>
  port: number
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
  const store = new Store({ databases: positive(values.databases!, 'databases'), scripting: lua() })
  if (values.version) {
    log(`embedis (redis_version ${store.redisVersion})`)
    store.close()
    return undefined
  }
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
  if (!values.quiet) {
    log(`embedis ${store.redisVersion}-compatible server, pid ${process.pid}`)
    log(`Ready to accept connections on ${addr.host}:${addr.port}${values.requirepass !== undefined ? ' (AUTH required)' : ''}`)
  }
  return {
    port: addr.port,
    async close() {
      await server.close()
      store.close()
    },
  }
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
    },
    (e: unknown) => {
      console.error(`embedis: ${e instanceof Error ? e.message : String(e)}`)
      process.exit(1)
    },
  )
}
