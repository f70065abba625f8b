import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { basename } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Bench } from 'tinybench'

/**
 * Whether the module at `url` (its import.meta.url) is the program's entry and is named `name`
 * (`node bench/run.mjs eviction`, or `npx tsx bench/eviction.ts`). Checking the name too keeps a
 * module bundled into another entry (bench/ab.ts bundles eviction.ts) from taking it for its own.
 */
export function isMain(url: string, name: string): boolean {
  const main = process.argv[1]
  return main !== undefined && basename(main).replace(/\.[mc]?[jt]s$/, '') === name && url === pathToFileURL(main).href
}

/** One benchmark row: a named operation with one implementation per contender. */
export interface Row {
  op: string
  impls: Record<string, (() => unknown) | (() => Promise<unknown>)>
}

/** Options for a bench run: how long each task runs. */
export interface RunOptions {
  /** Time per task in ms, over all rounds. Default 400. */
  time?: number
  warmupTime?: number
  /**
   * Rounds: every task runs once per round, and its figure is the median over the rounds. A burst
   * of load from elsewhere on the machine then costs one contender one round, not its figure.
   * Default 3.
   */
  rounds?: number
  /** Operations each task call performs (the harness's per-call overhead is spread over them). Default 1. */
  opsPerCall?: number
}

/**
 * Runs every row's implementations in one Bench (same process, same run), in rounds, and returns
 * ops/s per cell: the median over the rounds.
 */
export async function runRows(rows: Row[], opts: RunOptions = {}): Promise<Map<string, Map<string, number>>> {
  const rounds = opts.rounds ?? 3
  const bench = new Bench({ time: (opts.time ?? 400) / rounds, warmupTime: opts.warmupTime ?? 100 })
  // Every task starts on a collected heap, so garbage left by the one before (promises of the
  // async contenders, setup) is not charged to it.
  const gc = (globalThis as { gc?: () => void }).gc
  const beforeAll = (): void => gc?.()
  for (const row of rows) for (const [name, fn] of Object.entries(row.impls)) bench.add(`${row.op}\u0000${name}`, fn, { beforeAll })
  const runs = new Map<string, number[]>()
  for (let r = 0; r < rounds; r++) {
    // Without a reset, run() leaves tasks that have results as they are.
    bench.reset()
    await bench.run()
    for (const t of bench.tasks) {
      const res = t.result as { throughput?: { mean: number }; hz?: number } | undefined
      const hz = (res?.throughput?.mean ?? res?.hz ?? 0) * (opts.opsPerCall ?? 1)
      let list = runs.get(t.name)
      if (list === undefined) runs.set(t.name, (list = []))
      list.push(hz)
    }
  }
  const out = new Map<string, Map<string, number>>()
  for (const [task, list] of runs) {
    const [op, name] = task.split('\u0000') as [string, string]
    if (!out.has(op)) out.set(op, new Map())
    out.get(op)!.set(name, median(list))
  }
  return out
}

/** The median of some numbers (the upper one of an even count). */
export const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!

/** Prints ops/s and the ratio of each contender to `baseline` (a column name), per row. */
export function printTable(title: string, results: Map<string, Map<string, number>>, baseline: string): void {
  const cols = [...new Set([...results.values()].flatMap((m) => [...m.keys()]))]
  console.log(`\n## ${title}\n`)
  console.log(`| op | ${cols.map((c) => `${c} ops/s`).join(' | ')} | ${cols.filter((c) => c !== baseline).map((c) => `${c} / ${baseline}`).join(' | ')} |`)
  console.log(`|---|${cols.map(() => '---:').join('|')}|${cols.filter((c) => c !== baseline).map(() => '---:').join('|')}|`)
  for (const [op, m] of results) {
    const base = m.get(baseline)
    const cells = cols.map((c) => fmt(m.get(c)))
    const ratios = cols.filter((c) => c !== baseline).map((c) => (base && m.get(c) ? `${(m.get(c)! / base).toFixed(2)}×` : '–'))
    console.log(`| ${op} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`)
  }
}

function fmt(n: number | undefined): string {
  if (n === undefined) return '–'
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  return n.toFixed(0)
}

/** Prints a ratio between two named cells of a row. */
export function ratio(results: Map<string, Map<string, number>>, op: string, a: string, b: string): number {
  const m = results.get(op)
  return m && m.get(a) && m.get(b) ? m.get(a)! / m.get(b)! : NaN
}

/** True when valkey-server (or redis-server) is installed. */
export function serverBinary(): string | undefined {
  for (const b of ['valkey-server', 'redis-server']) {
    try {
      const r = spawnSync('which', [b])
      if (r.status === 0) return b
    } catch {
      /* fallthrough */
    }
  }
  return undefined
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

/**
 * A throwaway real server (when `serverBinary()` finds one) with an ioredis
 * client connected to it; `close()` quits the client and stops the server.
 * Undefined when no server binary is installed.
 */
export async function realServerClient(): Promise<{ client: import('ioredis').Redis; close(): Promise<void> } | undefined> {
  const bin = serverBinary()
  if (bin === undefined) return undefined
  const srv = await startRealServer(bin)
  const { Redis } = await import('ioredis')
  const client = new Redis({ port: srv.port, host: '127.0.0.1' })
  return {
    client,
    async close() {
      await client.quit()
      srv.stop()
    },
  }
}

/** Starts a throwaway real server on a free loopback port. */
export async function startRealServer(bin: string): Promise<{ port: number; proc: ChildProcess; stop: () => void }> {
  const port = await freePort()
  const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const stop = () => proc.kill('SIGKILL')
  process.on('exit', stop)
  const { Socket } = await import('node:net')
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = new Socket()
      s.once('error', () => res(false))
      s.connect(port, '127.0.0.1', () => {
        s.end()
        res(true)
      })
    })
    if (ok) break
    await new Promise((r) => setTimeout(r, 50))
  }
  return { port, proc, stop }
}
