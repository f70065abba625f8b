/**
 * BullMQ, the heaviest user of scripts among the libraries the drop-in runs: jobs added one at a
 * time (`queue.add`, awaited: one Lua script each) and then processed by a worker (concurrency 1:
 * a few scripts and a blocking read per job), on embedis through the ioredis drop-in and on a real
 * server over loopback through ioredis. Three interleaved rounds, medians. ioredis-mock cannot
 * run BullMQ, so it has no row.
 */
import { Queue, Worker } from 'bullmq'
import { Redis as EmbedisRedis } from '../src/ioredis/index.js'
import { lua } from '../src/scripting/index.js'
import { Store } from '../src/index.js'
import { isMain, median, serverBinary, startRealServer } from './lib.js'

const JOBS = Number(process.env.BULLMQ_JOBS ?? 1000)

interface Backend {
  name: string
  /** A fresh connection (BullMQ wants maxRetriesPerRequest null on the ones its workers block on). */
  connect(): import('ioredis').Redis
  reset(): Promise<void>
  close(): Promise<void>
}

async function round(b: Backend): Promise<{ add: number; process: number }> {
  await b.reset()
  const connection = b.connect()
  const queue = new Queue('bench', { connection })
  let t = performance.now()
  for (let i = 0; i < JOBS; i++) await queue.add('job', { i, at: Date.now() })
  const add = (JOBS / (performance.now() - t)) * 1000
  let done = 0
  t = performance.now()
  let worker: Worker | undefined
  await new Promise<void>((resolve) => {
    worker = new Worker('bench', async () => {
      if (++done === JOBS) resolve()
    }, { connection: b.connect(), concurrency: 1 })
  })
  const processed = (JOBS / (performance.now() - t)) * 1000
  await worker!.close()
  await queue.close()
  connection.disconnect()
  return { add, process: processed }
}

export async function benchBullmq(): Promise<void> {
  const store = new Store({ scripting: lua() })
  const conns: Array<{ disconnect(): void }> = []
  const embedis: Backend = {
    name: 'embedis (ioredis drop-in)',
    connect() {
      const c = new EmbedisRedis({ store, maxRetriesPerRequest: null })
      conns.push(c)
      return c as unknown as import('ioredis').Redis
    },
    async reset() {
      store.flushall()
    },
    async close() {
      store.close()
    },
  }
  const backends = [embedis]
  const bin = serverBinary()
  if (bin !== undefined) {
    const srv = await startRealServer(bin)
    const { Redis } = await import('ioredis')
    const admin = new Redis({ port: srv.port, host: '127.0.0.1' })
    backends.push({
      name: 'real server (ioredis, loopback)',
      connect() {
        const c = new Redis({ port: srv.port, host: '127.0.0.1', maxRetriesPerRequest: null })
        conns.push(c)
        return c
      },
      async reset() {
        await admin.flushall()
      },
      async close() {
        await admin.quit()
        srv.stop()
      },
    })
  }
  const res = new Map(backends.map((b) => [b.name, { add: [] as number[], process: [] as number[] }]))
  for (let r = 0; r < 3; r++) {
    for (const b of r % 2 === 0 ? backends : [...backends].reverse()) {
      const x = await round(b)
      res.get(b.name)!.add.push(x.add)
      res.get(b.name)!.process.push(x.process)
    }
  }
  for (const c of conns) c.disconnect()
  for (const b of backends) await b.close()

  console.log(`\n## BullMQ: ${JOBS} jobs added one at a time, then processed (concurrency 1)\n`)
  console.log('| backend | jobs added/s | jobs processed/s |')
  console.log('|---|---:|---:|')
  const fmt = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)}k` : n.toFixed(0))
  for (const [name, v] of res) console.log(`| ${name} | ${fmt(median(v.add))} | ${fmt(median(v.process))} |`)
}

if (isMain(import.meta.url, 'bullmq')) await benchBullmq()
