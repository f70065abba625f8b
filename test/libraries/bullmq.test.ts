/** BullMQ (Lua scripts, streams, blocking commands) on the ioredis drop-in. */
import { Queue, Worker } from 'bullmq'
import { afterEach, describe, expect, it } from 'vitest'
import { Redis } from '../../src/ioredis/index.js'
import { lua } from '../../src/scripting/index.js'
import { Store } from '../../src/index.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
}

describe('BullMQ on embedis/ioredis', () => {
  it('a worker completes jobs, retries a failing one, and the queue reports their states', async () => {
    const store = new Store({ scripting: lua() })
    const connection = new Redis({ store, maxRetriesPerRequest: null })
    const queue = new Queue('jobs', { connection })
    const seen: number[] = []
    let failures = 0
    const worker = new Worker(
      'jobs',
      async (job) => {
        if (job.name === 'flaky' && job.attemptsMade === 0) {
          failures++
          throw new Error('first attempt fails')
        }
        seen.push(job.data.n as number)
        return (job.data.n as number) * 2
      },
      { connection },
    )
    cleanups.push(
      () => store.close(),
      () => connection.disconnect(),
      () => queue.close(),
      () => worker.close(),
    )
    const a = await queue.add('double', { n: 1 })
    const b = await queue.add('double', { n: 2 })
    const c = await queue.add('flaky', { n: 3 }, { attempts: 2 })
    await until(() => seen.length === 3)
    expect(seen.sort()).toEqual([1, 2, 3])
    expect(failures).toBe(1)
    await until(() => false, 50)
    const jobs = await Promise.all([a, b, c].map((j) => queue.getJob(j.id!)))
    expect(await Promise.all(jobs.map((j) => j!.getState()))).toEqual(['completed', 'completed', 'completed'])
    expect(jobs.map((j) => j!.returnvalue)).toEqual([2, 4, 6])
    expect(await queue.getJobCounts('completed', 'failed', 'waiting')).toEqual({ completed: 3, failed: 0, waiting: 0 })
  }, 20_000)
})
