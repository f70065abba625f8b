/**
 * Crash safety: a child process writing with `fsync: 'always'` is SIGKILLed
 * at random moments, 20 times; after each restart every acknowledged write is
 * present and nothing else changed: the data is exactly a prefix of the
 * writes, each transaction whole (writes done but not yet acknowledged to the
 * parent may be in that prefix). With `everysec`, at most about a second of
 * acknowledged writes may be lost.
 */
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { aofFile, type FsyncPolicy } from '../../src/persistence/index.js'
import { cleanup, newStore, tempDir } from './helpers.js'

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'crash-child.ts')

afterAll(() => cleanup())

interface Run {
  acked: number[]
  ackTimes: number[]
  killedAt: number
}

/** Starts the child, lets it write for `ms`, SIGKILLs it; returns what it acknowledged. */
function runChild(dir: string, fsync: FsyncPolicy, ms: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, fsync], { stdio: ['ignore', 'pipe', 'pipe'] })
    const acked: number[] = []
    const ackTimes: number[] = []
    let buf = ''
    let err = ''
    let killedAt = 0
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString()
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line.startsWith('ready')) {
          setTimeout(() => {
            killedAt = Date.now()
            child.kill('SIGKILL')
          }, ms)
        } else if (line.startsWith('ack ')) {
          const [, n, t] = line.split(' ')
          acked.push(Number(n))
          ackTimes.push(Number(t))
        }
      }
    })
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited (${code}): ${err}`))
      resolve({ acked, ackTimes, killedAt })
    })
  })
}

/** The dataset after a crash: what `count` says, and every k<i>, checked for consistency. */
function check(dir: string): { count: number; keys: number } {
  const s = newStore({ persistence: aofFile({ dir, onWarning: () => {} }) })
  const count = Number(s.get('count') ?? 0)
  // Each transaction is all there or not at all, in order.
  expect(s.dbsize()).toBe(count === 0 ? 0 : count + 2)
  expect(s.llen('log')).toBe(count)
  const log = s.lrange('log', 0, -1)
  for (let i = 0; i < count; i++) {
    expect(log[i]).toBe(String(i))
    expect(s.get(`k${i}`)).toBe(`v${i}`)
  }
  s.close()
  return { count, keys: s.dbsize() }
}

describe('crash safety', () => {
  it("fsync 'always': 20 SIGKILLs at random moments lose no acknowledged write", async () => {
    const dir = tempDir('crash')
    let before = 0
    let rnd = 4242
    for (let round = 0; round < 20; round++) {
      rnd = (rnd * 1103515245 + 12345) % 2147483648
      const run = await runChild(dir, 'always', 30 + (rnd % 200))
      const { count } = check(dir)
      const lastAck = run.acked.length ? run.acked[run.acked.length - 1]! : before - 1
      // Every acknowledged write is there (check() verified the rest is an unbroken prefix).
      expect(count).toBeGreaterThanOrEqual(lastAck + 1)
      expect(count).toBeGreaterThanOrEqual(before)
      before = count
    }
    expect(before).toBeGreaterThan(0)
  }, 120_000)

  it("fsync 'everysec': a kill loses at most about a second of acknowledged writes", async () => {
    const dir = tempDir('crash')
    const run = await runChild(dir, 'everysec', 1500)
    const { count } = check(dir)
    const safeBefore = run.killedAt - 1200
    const mustHave = run.acked.filter((_, i) => run.ackTimes[i]! <= safeBefore)
    expect(run.acked.length).toBeGreaterThan(0)
    if (mustHave.length) expect(count).toBeGreaterThanOrEqual(mustHave[mustHave.length - 1]! + 1)
  }, 60_000)
})
