/**
 * A reliable job queue on lists: a producer LPUSHes jobs, two workers take
 * them with BLMOVE, which atomically moves each job into the worker's own
 * processing list before the worker touches it. A worker acknowledges a job
 * by removing it from its processing list (LREM) once done, so a worker that
 * dies halfway leaves its job behind rather than losing it, and a recovery
 * step puts such jobs back on the queue.
 *
 * The blocking calls return Promises: a worker with nothing to do waits for
 * the next push (waiters are served first come, first served) or for its
 * timeout, in seconds, after which BLMOVE resolves null.
 *
 * Run it with `npx tsx examples/job-queue.ts`.
 */
import { Store } from '../src/index.js'

const store = new Store()
const PENDING = 'jobs:pending'
const FAILED = 'jobs:failed'
const processing = (worker: string) => `jobs:processing:${worker}`

interface Job {
  id: number
  task: string
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const t0 = Date.now()
const log = (who: string, msg: string) => console.log(`${String(Date.now() - t0).padStart(4)} ms  ${who.padEnd(9)} ${msg}`)

// embedis's timers never keep Node running (a Store is a library, not a
// server), and that includes the timeout of a pending BLMOVE. Hold the process
// open while the workers may be waiting; `store.close()` below ends the rest.
const alive = setInterval(() => {}, 60_000)

let producing = true
const handled = new Map<string, number[]>()

async function producer(count: number): Promise<void> {
  for (let id = 1; id <= count; id++) {
    const job: Job = { id, task: `resize image ${id}` }
    const depth = store.lpush(PENDING, JSON.stringify(job))
    log('producer', `queued job ${id} (queue depth ${depth})`)
    await sleep(5)
  }
  producing = false
  log('producer', 'done')
}

/**
 * Takes jobs until the queue stays empty for `idleSeconds` after the producer
 * finished. With `crashFirst`, the worker "dies" on the first job it takes,
 * leaving it in its processing list unacknowledged.
 */
async function worker(name: string, idleSeconds: number, crashFirst = false): Promise<void> {
  const mine = processing(name)
  for (;;) {
    // Atomically: pop the oldest job (RIGHT: the producer pushes on the LEFT)
    // and push it onto this worker's processing list. Null after the timeout.
    const raw = await store.blmove(PENDING, mine, 'RIGHT', 'LEFT', idleSeconds)
    if (raw === null) {
      if (!producing) break
      continue
    }
    const job = JSON.parse(raw) as Job
    if (crashFirst) {
      crashFirst = false
      log(name, `took job ${job.id} and crashed before finishing it`)
      continue // no LREM: the job stays in the processing list
    }
    log(name, `working on job ${job.id}`)
    await sleep(20 + (job.id % 3) * 10)
    if (job.id === 7) {
      // A job that cannot succeed is moved aside, atomically, for a person to look at.
      store.lmove(mine, FAILED, 'LEFT', 'LEFT')
      log(name, `job ${job.id} failed: moved to ${FAILED}`)
      continue
    }
    store.lrem(mine, 1, raw) // acknowledge: the job is done
    handled.set(name, [...(handled.get(name) ?? []), job.id])
    log(name, `finished job ${job.id}`)
  }
  log(name, `idle for ${idleSeconds} s with the producer done: stopping`)
}

// A watcher that waits (with no timeout) for failed jobs to report; closing
// the store at the end rejects its pending wait, which is how it stops.
const watcher = (async () => {
  for (;;) {
    const r = await store.brpoplpush(FAILED, 'jobs:failed:seen', 0)
    log('watcher', `saw failed job ${(JSON.parse(r!) as Job).id}`)
  }
})().catch((e: Error) => log('watcher', `stopped: ${e.message}`))

// Both workers start waiting before any job exists; the producer fills the queue.
await Promise.all([worker('worker-1', 0.2), worker('worker-2', 0.2, true), producer(8)])

// Recovery: a job still sitting in a processing list was taken but never
// acknowledged. Put it back at the head of the queue (the end workers pop
// from), oldest first, and let a worker run again.
for (const w of ['worker-1', 'worker-2']) {
  let raw: string | null
  while ((raw = store.rpoplpush(processing(w), PENDING)) !== null) {
    log('recovery', `requeued job ${(JSON.parse(raw) as Job).id} left by ${w}`)
  }
}
await worker('worker-1', 0.1)

console.log('\njobs finished per worker:', Object.fromEntries(handled))
console.log('left in the queue:', store.llen(PENDING), '| in processing lists:', store.llen(processing('worker-1')) + store.llen(processing('worker-2')))
console.log('failed jobs seen by the watcher:', store.lrange('jobs:failed:seen', 0, -1).map((r) => (JSON.parse(r) as Job).id))

clearInterval(alive)
store.close() // rejects the watcher's pending wait; the process can exit
await watcher
