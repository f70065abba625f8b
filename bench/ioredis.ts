/**
 * The ioredis drop-in: GET and SET awaited one at a time through
 * `embedis/ioredis`, against ioredis to a real server over loopback, and
 * against ioredis over a null in-process stream that answers every command at
 * once with a canned reply (the ceiling for any ioredis-based fake: ioredis'
 * own per-command cost). Ratios are to the null stream.
 */
import { EventEmitter } from 'node:events'
import { Redis as IORedis } from 'ioredis'
import { Redis } from '../src/ioredis/index.js'
import { Store } from '../src/index.js'
import { isMain, printTable, ratio, realServerClient, runRows, type Row } from './lib.js'

const N = 1000
const keys = Array.from({ length: N }, (_, i) => `key:${i}`)
const value = 'v'.repeat(16)

/** A socket-like stream answering each write with one canned reply, at the next microtask. */
class NullStream extends EventEmitter {
  readonly connecting = false
  writable = true
  destroyed = false
  constructor(private readonly reply: Buffer) {
    super()
  }
  write(): boolean {
    queueMicrotask(() => this.emit('data', this.reply))
    return true
  }
  end(): this {
    this.writable = false
    process.nextTick(() => this.emit('close'))
    return this
  }
  destroy(): this {
    return this.end()
  }
  setNoDelay(): this {
    return this
  }
  setKeepAlive(): this {
    return this
  }
  setTimeout(): this {
    return this
  }
  resume(): this {
    return this
  }
}

function nullClient(reply: string): IORedis {
  class NullConnector {
    connecting = false
    stream: NullStream | undefined
    check(): boolean {
      return true
    }
    connect(): Promise<NullStream> {
      this.connecting = true
      return new Promise((resolve) => process.nextTick(() => resolve((this.stream = new NullStream(Buffer.from(reply))))))
    }
    disconnect(): void {
      this.stream?.end()
    }
  }
  // No ready check and no client info: the canned stream cannot answer INFO or CLIENT SETINFO.
  return new IORedis({ Connector: NullConnector as never, enableReadyCheck: false, disableClientInfo: true })
}

export async function benchIoredis(opts: { time?: number } = {}): Promise<Map<string, Map<string, number>>> {
  const store = new Store()
  const dropIn = new Redis({ store })
  for (const k of keys) await dropIn.set(k, value)
  const nullGet = nullClient(`$${value.length}\r\n${value}\r\n`)
  const nullSet = nullClient('+OK\r\n')
  await nullGet.ping().catch(() => undefined)
  await nullSet.ping().catch(() => undefined)

  const srv = await realServerClient()
  const real = srv?.client
  if (real) for (const k of keys) await real.set(k, value)

  let i = 0
  const next = (): string => keys[(i = (i + 1) % N)]!
  const rows: Row[] = [
    {
      op: 'GET (awaited)',
      impls: {
        'null stream': () => nullGet.get(next()),
        'embedis/ioredis': () => dropIn.get(next()),
        ...(real ? { 'ioredis→server': () => real!.get(next()) } : {}),
      },
    },
    {
      op: 'SET (awaited)',
      impls: {
        'null stream': () => nullSet.set(next(), value),
        'embedis/ioredis': () => dropIn.set(next(), value),
        ...(real ? { 'ioredis→server': () => real!.set(next(), value) } : {}),
      },
    },
  ]
  const results = await runRows(rows, { time: opts.time ?? 1000 })
  printTable('ioredis drop-in: one command awaited at a time', results, 'null stream')
  for (const op of ['GET (awaited)', 'SET (awaited)']) {
    const vsServer = ratio(results, op, 'embedis/ioredis', 'ioredis→server')
    const vsNull = ratio(results, op, 'embedis/ioredis', 'null stream')
    console.log(`- ${op}: drop-in = ${vsServer.toFixed(2)}× ioredis→server (bar ≥ 5×), ${vsNull.toFixed(2)}× null stream (bar ≥ 0.6×)`)
  }
  dropIn.disconnect()
  nullGet.disconnect()
  nullSet.disconnect()
  await srv?.close()
  store.close()
  return results
}

if (isMain(import.meta.url, 'ioredis')) await benchIoredis()
