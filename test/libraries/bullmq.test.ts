/** BullMQ (Lua scripts, streams, blocking commands) on the ioredis drop-in. */
import { FlowProducer, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq'
import type { Redis as RealRedis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { Redis } from '../../src/ioredis/index.js'
import { lua } from '../../src/scripting/index.js'
import { Store } from '../../src/index.js'
import { until } from '../helpers/wait.js'
import { backends, cleanups, type Target } from './backends.js'

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

/** A client of `t` as BullMQ wants it: maxRetriesPerRequest null, as on the connections its workers block on. */
const client = (t: Target): RealRedis => t.connect({ maxRetriesPerRequest: null })

describe.each(backends)('BullMQ features on %s', (_name, backend) => {
  it('priorities, delays, deduplication, progress, unrecoverable errors and queue events', async () => {
    const t = await backend()
    const connection = client(t)
    const queue = new Queue('q', { connection })
    const events = new QueueEvents('q', { connection: client(t) })
    cleanups.push(
      () => queue.close(),
      () => events.close(),
    )
    await events.waitUntilReady()
    const log: string[] = []
    events.on('completed', ({ jobId, returnvalue }) => log.push(`completed ${jobId} ${returnvalue}`))
    events.on('failed', ({ jobId, failedReason }) => log.push(`failed ${jobId} ${failedReason}`))
    events.on('progress', ({ jobId, data }) => log.push(`progress ${jobId} ${JSON.stringify(data)}`))
    await queue.pause()
    await queue.add('p', { v: 'low' }, { priority: 10 })
    await queue.add('p', { v: 'high' }, { priority: 1 })
    await queue.add('p', { v: 'none' })
    await queue.add('p', { v: 'delayed' }, { delay: 300 })
    await queue.add('p', { v: 'fatal' })
    await queue.add('p', { v: 'dedup' }, { deduplication: { id: 'd1' } })
    await queue.add('p', { v: 'dedup again' }, { deduplication: { id: 'd1' } })
    expect(await queue.getJobCounts('waiting', 'prioritized', 'delayed')).toEqual({ waiting: 3, prioritized: 2, delayed: 1 })
    const order: string[] = []
    const worker = new Worker(
      'q',
      async (job) => {
        order.push(job.data.v as string)
        if (job.data.v === 'fatal') throw new UnrecoverableError('no retry')
        await job.updateProgress({ pct: 50 })
        return (job.data.v as string).toUpperCase()
      },
      { connection, concurrency: 1 },
    )
    cleanups.push(() => worker.close())
    await queue.resume()
    await until(() => order.length === 6 && log.length === 11)
    // The wait list first (in order), then by priority, then the delayed job once due.
    expect(order).toEqual(['none', 'fatal', 'dedup', 'high', 'low', 'delayed'])
    expect(log).toEqual([
      'progress 3 {"pct":50}', 'completed 3 NONE', 'failed 5 no retry', 'progress 6 {"pct":50}', 'completed 6 DEDUP',
      'progress 2 {"pct":50}', 'completed 2 HIGH', 'progress 1 {"pct":50}', 'completed 1 LOW', 'progress 4 {"pct":50}', 'completed 4 DELAYED',
    ])
    expect(await queue.getJobCounts('completed', 'failed', 'waiting', 'prioritized', 'delayed')).toEqual({ completed: 5, failed: 1, waiting: 0, prioritized: 0, delayed: 0 })
    expect((await queue.getFailed()).map((j) => j.failedReason)).toEqual(['no retry'])
  }, 20_000)

  it('flows, job schedulers, rate limits and obliterate', async () => {
    const connection = client(await backend())
    const queue = new Queue('f', { connection })
    const flow = new FlowProducer({ connection })
    const order: string[] = []
    const worker = new Worker('f', async (job) => (order.push(job.data.v as string), (job.data.v as string).toUpperCase()), { connection })
    const limited = new Queue('rl', { connection })
    const times: number[] = []
    const limitedWorker = new Worker('rl', async () => void times.push(Date.now()), { connection, limiter: { max: 2, duration: 300 } })
    cleanups.push(
      () => queue.close(),
      () => flow.close(),
      () => worker.close(),
      () => limited.close(),
      () => limitedWorker.close(),
    )
    const tree = await flow.add({
      name: 'parent',
      queueName: 'f',
      data: { v: 'parent' },
      children: [
        { name: 'c', queueName: 'f', data: { v: 'child1' } },
        { name: 'c', queueName: 'f', data: { v: 'child2' } },
      ],
    })
    await until(() => order.includes('parent'))
    expect(order).toEqual(['child1', 'child2', 'parent'])
    expect(Object.values(await (await queue.getJob(tree.job.id!))!.getChildrenValues()).sort()).toEqual(['CHILD1', 'CHILD2'])

    await queue.upsertJobScheduler('every', { every: 150 }, { name: 'tick', data: { v: 'tick' } })
    await until(() => order.filter((v) => v === 'tick').length >= 3)
    expect(order.filter((v) => v === 'tick').length).toBeGreaterThanOrEqual(3)
    expect((await queue.getJobSchedulers()).map((s) => [s.key, s.name, s.every])).toEqual([['every', 'tick', 150]])
    await queue.removeJobScheduler('every')
    expect(await queue.getJobSchedulers()).toEqual([])

    // 2 jobs per 300 ms: six jobs take at least two more windows.
    for (let i = 0; i < 6; i++) await limited.add('x', {})
    await until(() => times.length === 6)
    expect(times.length).toBe(6)
    expect(times[5]! - times[0]!).toBeGreaterThanOrEqual(550)

    await worker.close()
    await queue.obliterate({ force: true })
    expect(await connection.keys('bull:f:*')).toEqual([])
  }, 20_000)
})
