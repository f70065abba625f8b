/**
 * bottleneck (v2), unmodified, in its Redis clustering mode (`datastore: 'ioredis'`) on the ioredis drop-in:
 * its Lua scripts keep the limiter's state, and pub/sub tells the limiters when capacity frees up.
 */
import Bottleneck from 'bottleneck'
import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { sleep, until } from '../helpers/wait.js'
import { backends, cleanups, type Target } from './backends.js'

/** A connection of its own (a client and a subscriber), as a separate process would have. */
function connect(t: Target): Bottleneck.IORedisConnection {
  const connection = new Bottleneck.IORedisConnection({ Redis: t.Redis, clientOptions: t.options })
  cleanups.push(() => connection.disconnect(false))
  return connection
}

/** A clustered limiter whose `error` events are collected (the tests expect none unless they say so). */
function limiter(options: Bottleneck.ConstructorOptions, errors: unknown[] = []): Bottleneck {
  const l = new Bottleneck({ datastore: 'ioredis', ...options })
  l.on('error', (e) => errors.push(e))
  // A shared connection's disconnect stops its limiters; disconnecting the limiter first would leave its
  // UNSUBSCRIBE in flight, rejected (unhandled, inside bottleneck) when the connection closes.
  if (options.connection == null) cleanups.push(() => l.disconnect(false))
  return l
}

describe.each(backends)('bottleneck clustering on %s', (_name, backend) => {
  it('maxConcurrent holds across two limiters (two processes) sharing one id', async () => {
    const t = await backend()
    const errors: unknown[] = []
    const settings = { id: 'shared', maxConcurrent: 2 }
    const one = limiter({ ...settings, clearDatastore: true, connection: connect(t) }, errors)
    await one.ready()
    const two = limiter({ ...settings, connection: connect(t) }, errors)
    await two.ready()
    let running = 0
    let peak = 0
    const job = async (name: string): Promise<string> => {
      peak = Math.max(peak, ++running)
      await sleep(100)
      running--
      return name.toUpperCase()
    }
    const names = ['a1', 'b1', 'a2', 'b2', 'a3', 'b3']
    const results = await Promise.all(names.map((n) => (n.startsWith('a') ? one : two).schedule(() => job(n))))
    expect(results).toEqual(['A1', 'B1', 'A2', 'B2', 'A3', 'B3'])
    // Each limiter alone would allow 2, so 4 at once; the shared state in Redis caps both together at 2.
    expect(peak).toBe(2)
    expect(await one.running()).toBe(0)
    expect(await two.done()).toBe(6)
    expect(errors).toEqual([])
  }, 10_000)

  it('minTime spaces job launches across two limiters sharing one id', async () => {
    const t = await backend()
    const errors: unknown[] = []
    const settings = { id: 'spaced', minTime: 50 }
    const one = limiter({ ...settings, connection: connect(t) }, errors)
    const two = limiter({ ...settings, connection: connect(t) }, errors)
    await Promise.all([one.ready(), two.ready()])
    const starts: number[] = []
    const t0 = Date.now()
    const jobs = [one, two, one, two, one, two].map((l, i) => l.schedule(async () => (starts.push(Date.now()), i)))
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4, 5])
    // Six launches at least 50 ms apart, whichever limiter made them (each alone would finish by ~100 ms).
    expect(Math.max(...starts) - t0).toBeGreaterThanOrEqual(5 * 50 - 5)
    expect(errors).toEqual([])
  }, 10_000)

  it('a shared reservoir stops jobs in both limiters once used up; incrementReservoir releases more', async () => {
    const t = await backend()
    const errors: unknown[] = []
    const settings = { id: 'quota', reservoir: 3 }
    const one = limiter({ ...settings, connection: connect(t) }, errors)
    const two = limiter({ ...settings, connection: connect(t) }, errors)
    await Promise.all([one.ready(), two.ready()])
    let depleted = 0
    one.on('depleted', () => depleted++)
    two.on('depleted', () => depleted++)
    const ran: string[] = []
    const jobs = ['a1', 'a2', 'b1', 'b2'].map((n) => (n.startsWith('a') ? one : two).schedule(async () => (ran.push(n), n)))
    await until(() => ran.length === 3)
    await sleep(100)
    expect(ran).toHaveLength(3)
    expect(await one.currentReservoir()).toBe(0)
    expect(await two.currentReservoir()).toBe(0)
    expect(depleted).toBe(1)
    // Raising it through either limiter lets the queued job run, wherever it waits.
    expect(await two.incrementReservoir(2)).toBe(2)
    expect((await Promise.all(jobs)).sort()).toEqual(['a1', 'a2', 'b1', 'b2'])
    expect(ran).toHaveLength(4)
    expect(await one.currentReservoir()).toBe(1)
    expect(errors).toEqual([])
  }, 10_000)

  it('reservoir refresh and increase intervals, driven by the heartbeat script', async () => {
    const t = await backend()
    const errors: unknown[] = []
    // Refresh: one job per 150 ms window.
    const created = Date.now()
    const refreshed = limiter(
      { id: 'refresh', reservoir: 1, reservoirRefreshAmount: 1, reservoirRefreshInterval: 150, heartbeatInterval: 20, connection: connect(t) },
      errors,
    )
    // Increase: starts empty and gains one per 100 ms.
    const increased = limiter(
      { id: 'increase', reservoir: 0, reservoirIncreaseAmount: 1, reservoirIncreaseInterval: 100, heartbeatInterval: 20, connection: connect(t) },
      errors,
    )
    await Promise.all([refreshed.ready(), increased.ready()])
    const r: number[] = []
    const i: number[] = []
    await Promise.all([
      ...[0, 1, 2].map(() => refreshed.schedule(async () => void r.push(Date.now()))),
      ...[0, 1].map(() => increased.schedule(async () => void i.push(Date.now()))),
    ])
    expect(r[1]).toBeGreaterThanOrEqual(created + 150 - 5)
    expect(r[2]).toBeGreaterThanOrEqual(created + 300 - 5)
    expect(i[0]).toBeGreaterThanOrEqual(created + 100 - 5)
    expect(i[1]).toBeGreaterThanOrEqual(created + 200 - 5)
    expect(errors).toEqual([])
  }, 10_000)

  it('increases the reservoir by the intervals missed, up to reservoirIncreaseMaximum', async () => {
    const t = await backend()
    const errors: unknown[] = []
    const raw = t.connect()
    const settings = { reservoir: 2, reservoirIncreaseAmount: 2, reservoirIncreaseInterval: 10_000, connection: connect(t) }
    const open = limiter({ ...settings, id: 'missed' }, errors)
    const capped = limiter({ ...settings, id: 'capped', reservoirIncreaseMaximum: 5 }, errors)
    await Promise.all([open.ready(), capped.ready()])
    expect(await open.currentReservoir()).toBe(2)
    // As if the limiters had been idle for three intervals.
    await raw.hincrby('b_missed_settings', 'lastReservoirIncrease', -30_000)
    await raw.hincrby('b_capped_settings', 'lastReservoirIncrease', -30_000)
    expect(await open.currentReservoir()).toBe(2 + 3 * 2)
    expect(await capped.currentReservoir()).toBe(5)
    expect(errors).toEqual([])
  }, 10_000)

  it('schedule results and errors, weights, counts(), running() and done()', async () => {
    const t = await backend()
    const errors: unknown[] = []
    const one = limiter({ id: 'counts', maxConcurrent: 3, trackDoneStatus: true, connection: connect(t) }, errors)
    // The first limiter to start writes the shared settings; the observer's (unlimited) ones must not win.
    await one.ready()
    const observer = limiter({ id: 'counts', connection: connect(t) }, errors)
    await observer.ready()
    let open!: () => void
    const gate = new Promise<void>((r) => (open = r))
    const heavy = one.schedule({ id: 'heavy', weight: 2 }, async (x: number) => (await gate, x * 10), 4)
    const light = one.schedule({ id: 'light' }, async () => (await gate, 'light'))
    const queued = one.schedule({ id: 'queued' }, async (a: string, b: string) => a + b, 'x', 'y')
    await until(() => one.counts().EXECUTING === 2 && one.counts().QUEUED === 1, 3000)
    expect(one.counts()).toEqual({ RECEIVED: 0, QUEUED: 1, RUNNING: 0, EXECUTING: 2, DONE: 0 })
    expect(one.jobStatus('queued')).toBe('QUEUED')
    // running() counts weights across the cluster: the other limiter sees them too.
    expect(await one.running()).toBe(3)
    expect(await observer.running()).toBe(3)
    expect(await observer.check()).toBe(false)
    expect(await observer.clusterQueued()).toBe(1)
    open()
    expect(await Promise.all([heavy, light, queued])).toEqual([40, 'light', 'xy'])
    const failing = one.schedule({ id: 'failing' }, async () => {
      throw new Error('job failed')
    })
    await expect(failing).rejects.toThrow('job failed')
    expect(one.counts()).toEqual({ RECEIVED: 0, QUEUED: 0, RUNNING: 0, EXECUTING: 0, DONE: 4 })
    expect(one.jobs('DONE' as Bottleneck.Status).sort()).toEqual(['failing', 'heavy', 'light', 'queued'])
    expect(await observer.running()).toBe(0)
    // done() sums weights: 2 + 1 + 1 + 1.
    expect(await observer.done()).toBe(5)
    expect(await observer.check()).toBe(true)
    expect(errors).toEqual([])
  }, 10_000)

  it('expiration: a job that overruns is rejected and its slot is freed for the next one', async () => {
    const t = await backend()
    const errors: unknown[] = []
    const one = limiter({ id: 'expire', maxConcurrent: 1, connection: connect(t) }, errors)
    await one.ready()
    const log: string[] = []
    let open!: () => void
    const gate = new Promise<void>((r) => (open = r))
    const slow = one.schedule({ expiration: 50 }, async () => {
      log.push('slow start')
      await gate
      log.push('slow end')
    })
    const next = one.schedule(async () => void log.push('next start'))
    await expect(slow).rejects.toThrow('This job timed out after 50 ms.')
    await next
    open()
    await until(() => log.length === 3)
    expect(log).toEqual(['slow start', 'next start', 'slow end'])
    expect(await one.running()).toBe(0)
    expect(errors).toEqual([])
  }, 10_000)

  it('expiration: a job lost with its process stops counting once expired, and another limiter runs', async () => {
    const t = await backend()
    const lostErrors: unknown[] = []
    const errors: unknown[] = []
    const settings = { id: 'lost', maxConcurrent: 1 }
    const crashed = connect(t)
    const a = limiter({ ...settings, connection: crashed }, lostErrors)
    const b = limiter({ ...settings, heartbeatInterval: 20, connection: connect(t) }, errors)
    await Promise.all([a.ready(), b.ready()])
    let open!: () => void
    const gate = new Promise<void>((r) => (open = r))
    cleanups.push(() => open())
    const t0 = Date.now()
    let started = false
    const lost = a.schedule({ expiration: 250 }, async () => ((started = true), await gate)).catch((e: Error) => e)
    await until(() => started)
    // The process dies with its job running: its connection goes, nothing frees the job.
    await crashed.disconnect(false)
    expect(await b.running()).toBe(1)
    let bStarted = 0
    const other = b.schedule(async () => void (bStarted = Date.now()))
    await other
    expect(bStarted).toBeGreaterThanOrEqual(t0 + 250 - 5)
    expect(await b.running()).toBe(0)
    // The dead limiter's own expiry fires too: the job is rejected and its free fails (no connection).
    expect(((await lost) as Error).message).toBe('This job timed out after 250 ms.')
    await until(() => lostErrors.length > 0)
    expect(lostErrors.map((e) => (e as Error).message)).toEqual(['Connection is closed.'])
    expect(errors).toEqual([])
  }, 10_000)

  it('timeout gives the keys a TTL, and they vanish after that much inactivity', async () => {
    const t = await backend()
    const raw = t.connect()
    const errors: unknown[] = []
    // Connecting through the Redis and clientOptions options (the limiter makes its own clients).
    const l = limiter({ id: 'ttl', timeout: 300, Redis: t.Redis, clientOptions: t.options }, errors)
    await l.ready()
    expect(await l.schedule(async () => 'ran')).toBe('ran')
    const ttl = await raw.pttl('b_ttl_settings')
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(300)
    expect(await raw.exists('b_ttl_settings', 'b_ttl_client_last_seen')).toBe(2)
    await sleep(400)
    expect(await raw.exists('b_ttl_settings', 'b_ttl_client_last_seen')).toBe(0)
    // Without timeout the keys persist.
    const kept = limiter({ id: 'kept', Redis: t.Redis, clientOptions: t.options }, errors)
    await kept.ready()
    expect(await raw.pttl('b_kept_settings')).toBe(-1)
    expect(errors).toEqual([])
  }, 10_000)

  it('disconnect: a limiter with its own connection quits both clients; a shared connection stays up', async () => {
    const t = await backend()
    const errors: unknown[] = []
    const own = limiter({ id: 'own', Redis: t.Redis, clientOptions: t.options }, errors)
    const { client, subscriber } = (await own.ready()) as { client: Redis; subscriber: Redis }
    expect(await own.schedule(async () => 1)).toBe(1)
    await own.disconnect()
    await until(() => client.status === 'end' && subscriber.status === 'end')
    expect([client.status, subscriber.status]).toEqual(['end', 'end'])

    // An existing client: the connection duplicates it for its subscriber.
    const shared = new Bottleneck.IORedisConnection({ client: t.connect() })
    cleanups.push(() => shared.disconnect(false))
    const x = limiter({ id: 'x', connection: shared }, errors)
    const y = limiter({ id: 'y', connection: shared }, errors)
    const clients = (await x.ready()) as { client: Redis; subscriber: Redis }
    await y.ready()
    expect(clients.subscriber).not.toBe(clients.client)
    expect(await x.schedule(async () => 'x')).toBe('x')
    await x.disconnect()
    expect(await y.schedule(async () => 'y still works')).toBe('y still works')
    await shared.disconnect()
    await until(() => clients.client.status === 'end' && clients.subscriber.status === 'end')
    expect([clients.client.status, clients.subscriber.status]).toEqual(['end', 'end'])
    expect(errors).toEqual([])
  }, 10_000)
})
