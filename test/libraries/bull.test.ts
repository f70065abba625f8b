/** Bull (v4: Lua scripts, BRPOPLPUSH, pub/sub events), unmodified, on the ioredis drop-in. */
import Bull from 'bull'
import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { until } from '../helpers/wait.js'
import { backends, cleanups, type Target } from './backends.js'

/**
 * A Bull queue whose connections ('client', 'subscriber', 'bclient') reach `t`. Bull does not end
 * connections it did not create, so the cleanup does, after `close()` (which reconnects the bclient).
 * Not through `t.connect`: Bull creates the subscriber and bclient lazily, after this cleanup is
 * registered, so their own disconnects would run before `close()`.
 */
function openQueue(t: Target, name: string, opts: Bull.QueueOptions = {}): Bull.Queue {
  const connections: Redis[] = []
  const queue = new Bull(name, {
    ...opts,
    createClient: (type) => {
      const perType = type === 'client' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: null, enableReadyCheck: false }
      const c = new t.Redis({ ...perType, ...t.options })
      connections.push(c)
      return c
    },
  })
  cleanups.push(async () => {
    await queue.close()
    for (const c of connections) c.disconnect()
  })
  return queue
}

/** Resolves once Bull has subscribed to the channels of these global events. */
function subscribed(queue: Bull.Queue, events: string[]): Promise<unknown> {
  return Promise.all(events.map((e) => new Promise((r) => queue.once(`registered:global:${e}`, r))))
}

describe.each(backends)('Bull on %s', (_name, backend) => {
  it('completes jobs with return values, retries with backoff, and reports states, counts, progress and events', async () => {
    const queue = openQueue(await backend(), 'work')
    // Local events come from this queue's processor; global ones arrive over pub/sub.
    const local: string[] = []
    const global: string[] = []
    const ready = subscribed(queue, ['completed', 'failed', 'progress'])
    queue.on('global:completed', (id: string, result: string) => global.push(`completed ${id} ${result}`))
    queue.on('global:failed', (id: string, reason: string) => global.push(`failed ${id} ${reason}`))
    queue.on('global:progress', (id: string, progress: unknown) => global.push(`progress ${id} ${JSON.stringify(progress)}`))
    queue.on('completed', (job: Bull.Job, result: unknown) => local.push(`completed ${job.id} ${JSON.stringify(result)}`))
    queue.on('failed', (job: Bull.Job, err: Error) => local.push(`failed ${job.id} ${err.message}`))
    queue.on('progress', (job: Bull.Job, progress: unknown) => local.push(`progress ${job.id} ${JSON.stringify(progress)}`))
    await ready

    const attemptTimes: number[] = []
    void queue.process(async (job: Bull.Job) => {
      if (job.data.kind === 'flaky') {
        attemptTimes.push(Date.now())
        if (job.attemptsMade < 2) throw new Error(`attempt ${job.attemptsMade + 1} failed`)
      }
      if (job.data.kind === 'broken') throw new Error('always broken')
      await job.progress(50)
      return { doubled: (job.data.n as number) * 2 }
    })
    const a = await queue.add({ n: 1 })
    const b = await queue.add({ n: 2 })
    const flaky = await queue.add({ kind: 'flaky', n: 3 }, { attempts: 3, backoff: { type: 'fixed', delay: 200 } })
    const broken = await queue.add({ kind: 'broken', n: 4 })
    await until(() => local.length === 9 && global.length === 7)
    // Every attempt fails locally; only the final failure is published.
    expect(local).toEqual([
      'progress 1 50', 'completed 1 {"doubled":2}', 'progress 2 50', 'completed 2 {"doubled":4}', 'failed 3 attempt 1 failed',
      'failed 4 always broken', 'failed 3 attempt 2 failed', 'progress 3 50', 'completed 3 {"doubled":6}',
    ])
    expect(global).toEqual([
      'progress 1 50', 'completed 1 {"doubled":2}', 'progress 2 50', 'completed 2 {"doubled":4}', 'failed 4 always broken',
      'progress 3 50', 'completed 3 {"doubled":6}',
    ])

    // Two failed attempts of the flaky job, each retried only after its backoff.
    expect(attemptTimes.length).toBe(3)
    expect(attemptTimes[1]! - attemptTimes[0]!).toBeGreaterThanOrEqual(200)
    expect(attemptTimes[2]! - attemptTimes[1]!).toBeGreaterThanOrEqual(200)

    const jobs = await Promise.all([a, b, flaky, broken].map((j) => queue.getJob(j.id)))
    expect(await Promise.all(jobs.map((j) => j!.getState()))).toEqual(['completed', 'completed', 'completed', 'failed'])
    expect(jobs.map((j) => j!.returnvalue)).toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }, null])
    expect(jobs.map((j) => j!.attemptsMade)).toEqual([0, 0, 2, 1])
    expect(jobs.map((j) => j!.progress())).toEqual([50, 50, 50, 0])
    expect(jobs[3]!.failedReason).toBe('always broken')
    expect(jobs[3]!.stacktrace[0]).toMatch(/^Error: always broken/)
    expect(await queue.getJobCounts()).toEqual({ waiting: 0, active: 0, completed: 3, failed: 1, delayed: 0, paused: 0 })
    expect((await queue.getFailed()).map((j) => j.id)).toEqual([broken.id])
    expect((await queue.getCompleted()).map((j) => j.id).sort()).toEqual([a.id, b.id, flaky.id].sort())
    expect(await queue.getJob('no-such-job')).toBeNull()
  }, 10_000)

  it('holds jobs while paused, then runs them by priority, and delayed jobs only once due', async () => {
    const queue = openQueue(await backend(), 'prio')
    await queue.pause()
    expect(await queue.isPaused()).toBe(true)
    const low = await queue.add({ v: 'low' }, { priority: 3 })
    const high = await queue.add({ v: 'high' }, { priority: 1 })
    const mid = await queue.add({ v: 'mid' }, { priority: 2 })
    const later = await queue.add({ v: 'later' }, { delay: 400 })
    expect(await Promise.all([low, high, mid, later].map((j) => j.getState()))).toEqual(['paused', 'paused', 'paused', 'delayed'])
    expect(await queue.getJobCounts()).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0, delayed: 1, paused: 3 })

    const order: string[] = []
    const ranAt: Record<string, number> = {}
    let completed = 0
    queue.on('completed', () => completed++)
    void queue.process(1, async (job: Bull.Job) => {
      order.push(job.data.v as string)
      ranAt[job.data.v as string] = Date.now()
    })
    // Nothing runs while the queue is paused.
    await until(() => order.length > 0, 150)
    expect(order).toEqual([])

    await queue.resume()
    expect(await queue.isPaused()).toBe(false)
    await until(() => completed === 4)
    expect(order).toEqual(['high', 'mid', 'low', 'later'])
    expect(ranAt.later! - later.timestamp).toBeGreaterThanOrEqual(400)
    const done = await queue.getJob(later.id)
    expect(done!.processedOn! - done!.timestamp).toBeGreaterThanOrEqual(400)
    expect(await done!.getState()).toBe('completed')
    expect(await queue.getJobCounts()).toEqual({ waiting: 0, active: 0, completed: 4, failed: 0, delayed: 0, paused: 0 })
  }, 10_000)

  it('recovers stalled jobs, repeats jobs, removes completed jobs on request, cleans and obliterates', async () => {
    const queue = openQueue(await backend(), 'misc', { settings: { stalledInterval: 200 } })
    const seen: string[] = []
    const completed: string[] = []
    const stalled: string[] = []
    queue.on('completed', (job: Bull.Job) => completed.push(job.data.v as string))
    queue.on('stalled', (job: Bull.Job) => stalled.push(job.data.v as string))
    // A worker that crashed after taking a job leaves it in the active list with no lock.
    const orphan = await queue.add({ v: 'orphan' })
    expect(await queue.client.rpoplpush('bull:misc:wait', 'bull:misc:active')).toBe(orphan.id)
    expect(await orphan.getState()).toBe('active')
    void queue.process(async (job: Bull.Job) => void seen.push(job.data.v as string))
    await until(() => completed.includes('orphan'))
    expect(stalled).toEqual(['orphan'])
    expect(seen).toEqual(['orphan'])

    await queue.add({ v: 'tick' }, { repeat: { every: 150 } })
    await until(() => seen.filter((v) => v === 'tick').length >= 3)
    expect(seen.filter((v) => v === 'tick').length).toBeGreaterThanOrEqual(3)
    const repeatable = await queue.getRepeatableJobs()
    expect(repeatable.map((r) => [r.every, r.next % 150])).toEqual([[150, 0]])
    await queue.removeRepeatableByKey(repeatable[0]!.key)
    expect(await queue.getRepeatableJobs()).toEqual([])
    const ran = seen.length
    await until(() => seen.length > ran, 400)
    expect(seen.length).toBe(ran)

    const gone = await queue.add({ v: 'gone' }, { removeOnComplete: true })
    const kept = await queue.add({ v: 'kept' })
    await until(() => completed.includes('kept'))
    expect(await queue.getJob(gone.id)).toBeNull()
    expect(await (await queue.getJob(kept.id))!.getState()).toBe('completed')

    const completedCount = await queue.getCompletedCount()
    // The orphan, the ticks and 'kept', not 'gone'.
    expect(completedCount).toBe(ran + 1)
    const cleaned = await queue.clean(0, 'completed')
    expect(cleaned.length).toBe(completedCount)
    expect(await queue.getCompletedCount()).toBe(0)
    expect(await queue.getJob(kept.id)).toBeNull()

    await queue.add({ v: 'waiting' }, { delay: 60_000 })
    await queue.obliterate({ force: true })
    expect(await queue.client.keys('bull:misc:*')).toEqual([])
  }, 10_000)

  it('rate limits, dedupes custom job ids, honours LIFO, keeps logs, promotes, retries and removes jobs', async () => {
    const queue = openQueue(await backend(), 'extra', { limiter: { max: 2, duration: 300 } })
    await queue.pause()
    const custom = await queue.add({ v: 'custom' }, { jobId: 'my-id' })
    // The same id again does not add a second job.
    const again = await queue.add({ v: 'again' }, { jobId: 'my-id' })
    expect([custom.id, again.id]).toEqual(['my-id', 'my-id'])
    expect((await queue.getJob('my-id'))!.data).toEqual({ v: 'custom' })
    await queue.add({ v: 'fifo' })
    await queue.add({ v: 'lifo' }, { lifo: true })
    const promoted = await queue.add({ v: 'promoted' }, { delay: 60_000 })
    expect(await promoted.getState()).toBe('delayed')
    await promoted.promote()
    expect(await promoted.getState()).toBe('paused')
    const removed = await queue.add({ v: 'removed' })
    await removed.remove()
    expect(await queue.getJob(removed.id)).toBeNull()
    const retried = await queue.add({ v: 'retried' })
    await queue.add({ v: 'last' })
    expect(await queue.getJobCounts()).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0, paused: 6 })

    const order: string[] = []
    const times: number[] = []
    let failedOnce = false
    void queue.process(async (job: Bull.Job) => {
      order.push(job.data.v as string)
      times.push(Date.now())
      await job.log(`ran ${job.data.v}`)
      if (job.data.v === 'retried' && !failedOnce) {
        failedOnce = true
        throw new Error('needs a manual retry')
      }
      return job.data.v
    })
    await queue.resume()
    await expect(retried.finished()).rejects.toThrow('needs a manual retry')
    expect(await retried.getState()).toBe('failed')
    await retried.retry()
    await until(() => order.length === 7)
    expect(order).toEqual(['lifo', 'custom', 'fifo', 'promoted', 'retried', 'last', 'retried'])
    // Two jobs per 300 ms window: the fifth starts two windows after the first.
    expect(times[4]! - times[0]!).toBeGreaterThanOrEqual(550)
    expect(await retried.finished()).toBe('retried')
    expect(await queue.getJobLogs(retried.id)).toEqual({ logs: ['ran retried', 'ran retried'], count: 2 })
    expect(await queue.getJobCounts()).toEqual({ waiting: 0, active: 0, completed: 6, failed: 0, delayed: 0, paused: 0 })
  }, 10_000)
})
