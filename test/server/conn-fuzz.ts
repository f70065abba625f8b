/**
 * Differential runs of scripts across several connections: a script is generated against the
 * reference server step by step (what each connection received decides what may come next), then
 * replayed on embedis's RESP server, which must deliver the same frames to every connection in the
 * same steps. The fuzzers (`blocking-fuzz.ts`, `pubsub-fuzz.ts`) supply the generation; this module
 * runs the connections, compares, and gives each fuzzer its command line and its live test suite.
 */
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReplyParser, encodeCommand, type Tagged } from '../../src/protocol/resp.js'
import { showReply } from '../conformance/harness.js'
import { quoteArg } from '../conformance/differential.js'
import { isValkeyAvailable } from '../helpers/valkey.js'
import { sleep } from '../helpers/wait.js'

/** One step: a command from a connection (`$id:x` in an argument is connection x's CLIENT ID), or a pause. */
export interface Step {
  client: string
  argv: string[]
  /** Milliseconds to wait instead of sending (a blocking timeout running out). */
  sleep?: number
  /** Whether the command may block (the reference run then waits less for its reply). */
  mayBlock?: boolean
  /** Compare only the types of this step's frames (HELLO names the server and the connection id). */
  types?: boolean
}

/** What each connection received during one step, in reply notation. */
export type Frames = Record<string, string[]>


class Conn {
  readonly parser = new ReplyParser()
  frames: Tagged[] = []
  sent = 0
  answered = 0
  closed = false
  /** Whether the close was reported in a step's frames. */
  reported = false
  id = ''
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.parser.feed(d)
      for (let t; (t = this.parser.next()) !== undefined; ) {
        if (t.t !== 'push') this.answered++
        this.frames.push(t)
      }
    })
    socket.on('close', () => (this.closed = true))
    socket.on('error', () => {})
  }
  write(b: Buffer): void {
    this.sent++
    this.socket.write(b)
  }
  /** Commands sent and not yet answered: more than 0 means the connection is blocked (or busy). */
  get pending(): number {
    return this.sent - this.answered
  }
}

/** The connections of one run against one server. */
export class Run {
  private readonly conns = new Map<string, Conn>()
  constructor(readonly port: number) {}

  private async open(name: string): Promise<Conn> {
    let c = this.conns.get(name)
    if (c !== undefined) return c
    const socket = connect(this.port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    c = new Conn(socket)
    // Not counted as sent: its reply is taken here.
    socket.write(encodeCommand(['CLIENT', 'ID']))
    const deadline = Date.now() + 2000
    while (c.frames.length === 0 && Date.now() < deadline) await sleep(1)
    const f = c.frames.shift()
    if (f?.t !== 'int') throw new Error(`CLIENT ID answered ${f === undefined ? 'nothing' : showReply(f)}`)
    c.answered = 0
    c.id = String(f.v)
    this.conns.set(name, c)
    return c
  }

  /** Whether connection `name` has a command waiting for its reply. */
  blocked(name: string): boolean {
    return (this.conns.get(name)?.pending ?? 0) > 0
  }

  /**
   * Runs one step. With `expect` (a replay), waits until every connection got as many frames as
   * expected (up to 3 s) and `settle` ms more; without (the reference run), waits for the sender's
   * reply — briefly for a command that may block — then `settle` ms.
   */
  async step(s: Step, expect?: Frames, settle = 8): Promise<Frames> {
    if (s.sleep !== undefined) await sleep(s.sleep)
    else {
      const c = await this.open(s.client)
      // Connections named in placeholders exist before the command that names them.
      const argv: string[] = []
      for (const a of s.argv) {
        const m = /^\$id:(\w+)$/.exec(a)
        argv.push(m ? (await this.open(m[1]!)).id : a)
      }
      c.write(encodeCommand(argv))
    }
    if (expect !== undefined) {
      const deadline = Date.now() + 3000
      const enough = (): boolean =>
        [...this.conns].every(([name, c]) => {
          const want = expect[name] ?? []
          const closed = want.includes('<closed>')
          return c.frames.length >= want.length - (closed ? 1 : 0) && (!closed || c.closed)
        })
      while (!enough() && Date.now() < deadline) await sleep(2)
    } else if (s.sleep === undefined) {
      const c = this.conns.get(s.client)!
      const deadline = Date.now() + (s.mayBlock ? 30 : 1000)
      while (c.pending > 0 && !c.closed && Date.now() < deadline) await sleep(1)
    }
    await sleep(settle)
    const out: Frames = {}
    for (const [name, c] of this.conns) {
      const list = c.frames.splice(0).map((t) => (s.types ? `<${t.t}>` : showReply(t)))
      if (c.closed && !c.reported) {
        list.push('<closed>')
        c.reported = true
      }
      if (list.length > 0) out[name] = list
    }
    return out
  }

  close(): void {
    for (const c of this.conns.values()) c.socket.destroy()
  }
}

/** Replays a script on another server; returns the frames per step. */
export async function replay(port: number, steps: Step[], expected: Frames[]): Promise<Frames[]> {
  const run = new Run(port)
  try {
    const out: Frames[] = []
    for (let i = 0; i < steps.length; i++) out.push(await run.step(steps[i]!, expected[i], 3))
    return out
  } finally {
    run.close()
  }
}

/** A step in script notation. */
export function showStep(s: Step): string {
  return s.sleep !== undefined ? `@sleep ${s.sleep}` : `[${s.client}] ${s.argv.map(quoteArg).join(' ')}`
}

/** The first step whose frames differ, as a report (null when the runs agree). */
export function firstDifference(steps: Step[], expected: Frames[], actual: Frames[]): string | null {
  for (let i = 0; i < steps.length; i++) {
    const e = JSON.stringify(expected[i] ?? {})
    const a = JSON.stringify(actual[i] ?? {})
    if (e !== a) {
      const lines = steps.slice(0, i + 1).map((s, j) => `  ${showStep(s)}${j < i ? `  → ${JSON.stringify(expected[j] ?? {})}` : ''}`)
      return `${lines.join('\n')}\n    expected: ${e}\n    actual:   ${a}`
    }
  }
  return null
}

/** What a fuzzer gives the runner. */
export interface Fuzzer {
  /** Readies a server for a new script (empties it, and whatever else the fuzzer needs). */
  reset(port: number): Promise<void>
  /** Generates a script of about `steps` steps on the reference run `ref`, with the frames it delivered. */
  generate(seed: number, steps: number, ref: Run): Promise<{ steps: Step[]; frames: Frames[] }>
  /** The frames as compared (where the reference's order is a hash table's); as they are by default. */
  canonical?(steps: Step[], frames: Frames[]): Frames[]
}

/** Generates seed `seed` on the reference server and replays it on embedis's; the difference, or null. */
export async function runSeed(f: Fuzzer, seed: number, steps: number, refPort: number, embedisPort: number): Promise<string | null> {
  await f.reset(refPort)
  await f.reset(embedisPort)
  const ref = new Run(refPort)
  let script: { steps: Step[]; frames: Frames[] }
  try {
    script = await f.generate(seed, steps, ref)
  } finally {
    ref.close()
  }
  const actual = await replay(embedisPort, script.steps, script.frames)
  const canonical = f.canonical ?? ((_s: Step[], frames: Frames[]) => frames)
  return firstDifference(script.steps, canonical(script.steps, script.frames), canonical(script.steps, actual))
}

/** A private valkey-server and an embedis RESP server (with Lua) to run scripts on; `stop` ends both. */
async function servers(): Promise<{ refPort: number; port: number; stop(): Promise<void> }> {
  const { startValkey } = await import('../helpers/valkey.js')
  const { createServer } = await import('../../src/server/index.js')
  const { Store } = await import('../../src/index.js')
  const { lua } = await import('../../src/scripting/index.js')
  const valkey = await startValkey()
  const server = createServer({ store: new Store({ scripting: lua() }), port: 0 })
  await server.listen()
  return {
    refPort: valkey.port,
    port: server.port,
    async stop() {
      await server.close()
      await valkey.stop()
    },
  }
}

/**
 * A fuzzer's command line: `--seeds N --from S --steps K` runs seeds S… and prints each difference;
 * `--show` prints seed S's script with the reference server's frames. Exits 1 when a seed differs.
 */
export async function fuzzCli(f: Fuzzer, defaultSteps: number): Promise<never> {
  const arg = (name: string, dflt: number): number => {
    const i = process.argv.indexOf(`--${name}`)
    return i < 0 ? dflt : Number(process.argv[i + 1])
  }
  const seeds = arg('seeds', 50)
  const from = arg('from', 1)
  const steps = arg('steps', defaultSteps)
  const sv = await servers()
  if (process.argv.includes('--show')) {
    await f.reset(sv.refPort)
    const ref = new Run(sv.refPort)
    const { steps: script, frames } = await f.generate(from, steps, ref)
    ref.close()
    script.forEach((s, i) => console.log(`${showStep(s)}  → ${JSON.stringify(frames[i])}`))
    await sv.stop()
    process.exit(0)
  }
  const started = Date.now()
  let failed = 0
  try {
    for (let seed = from; seed < from + seeds; seed++) {
      const d = await runSeed(f, seed, steps, sv.refPort, sv.port)
      if (d !== null) {
        failed++
        console.log(`seed ${seed}:\n${d}\n`)
      }
    }
  } finally {
    await sv.stop()
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1)
  console.log(failed === 0 ? `${seeds} seeds × ${steps} steps: no differences (${secs} s)` : `${failed} of ${seeds} seeds differ (${secs} s)`)
  process.exit(failed === 0 ? 0 : 1)
}

/** A vitest suite running fixed seeds of a fuzzer live (when valkey-server is on PATH and EMBEDIS_LIVE is not 0). */
export function liveSuite(title: string, f: Fuzzer, seeds: number[], steps: number): void {
  describe.runIf(isValkeyAvailable() && process.env.EMBEDIS_LIVE !== '0')(title, () => {
    let sv: Awaited<ReturnType<typeof servers>> | undefined
    beforeAll(async () => {
      sv = await servers()
    }, 20_000)
    afterAll(async () => {
      await sv?.stop()
    })
    for (const seed of seeds) {
      it(`seed ${seed}`, async () => {
        const d = await runSeed(f, seed, steps, sv!.refPort, sv!.port)
        expect(d, d ?? '').toBeNull()
      }, 60_000)
    }
  })
}
