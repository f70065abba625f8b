/**
 * Multi-connection scripts, run against a RESP server and compared frame by
 * frame with the reference server: what each connection receives after each
 * step (replies, pushed messages, closes), in order.
 *
 * Script lines: `[name] COMMAND args` (connection `name`, opened on first use;
 * `[a]` when omitted), `[name] @raw "<JSON string of bytes>"`, `@sleep <ms>`.
 * A ` # ann` suffix: `any` (compare frame types only), `unordered` (the
 * step's frames as a multiset).
 */
import { connect, type Socket } from 'node:net'
import { ReplyParser, encodeCommand, splitInlineArgs, type Tagged } from '../../src/protocol/resp.js'
import { showReply, splitAnnotation } from '../conformance/harness.js'
import { sleep } from '../helpers/wait.js'

export interface ScriptStep {
  line: number
  client: string
  cmd: string
  ann: string[]
}

export function parseScript(text: string): ScriptStep[] {
  const steps: ScriptStep[] = []
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim()
    if (t === '' || t.startsWith('#')) return
    const { cmd, ann } = splitAnnotation(t)
    const m = /^\[(\w+)\]\s*(.*)$/.exec(cmd)
    steps.push({
      line: i + 1,
      client: m ? m[1]! : 'a',
      cmd: m ? m[2]! : cmd,
      ann: ann === null ? [] : ann.split(/\s+/).filter(Boolean),
    })
  })
  return steps
}

/** What one connection received during one step: frames in compact notation, `<closed>` for a close. */
export type Frames = Record<string, string[]>

interface Conn {
  socket: Socket
  parser: ReplyParser
  frames: Tagged[]
  closed: boolean
}


function show(t: Tagged, types: boolean): string {
  return types ? `<${t.t}>` : showReply(t)
}

/**
 * Runs a script against a server. With `expect` (the reference run), each step
 * waits until every connection got as many frames as in the reference (up to
 * 3 s), then `settle` ms more; without, each step waits `settle` ms.
 */
export async function runScript(port: number, steps: ScriptStep[], expect?: Frames[], settle = 40): Promise<Frames[]> {
  const conns = new Map<string, Conn>()
  const open = async (name: string): Promise<Conn> => {
    let c = conns.get(name)
    if (c !== undefined) return c
    const socket = connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const conn: Conn = { socket, parser: new ReplyParser(), frames: [], closed: false }
    socket.on('data', (d: Buffer) => {
      conn.parser.feed(d)
      for (let t; (t = conn.parser.next()) !== undefined; ) conn.frames.push(t)
    })
    socket.on('close', () => (conn.closed = true))
    socket.on('error', () => {})
    conns.set(name, conn)
    c = conn
    return c
  }
  const out: Frames[] = []
  try {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!
      if (step.cmd.startsWith('@sleep')) {
        await sleep(Number(step.cmd.split(/\s+/)[1]))
        out.push({})
        continue
      }
      const c = await open(step.client)
      if (step.cmd.startsWith('@raw ')) c.socket.write(Buffer.from(JSON.parse(step.cmd.slice(5)) as string, 'latin1'))
      else {
        const argv = splitInlineArgs(step.cmd)
        if (argv === null) throw new Error(`line ${step.line}: unbalanced quotes`)
        c.socket.write(encodeCommand(argv))
      }
      const want = expect?.[i]
      if (expect === undefined) {
        // Reference run: wait for the answer to this step (if any) before settling, so a slow
        // server under load does not shift frames into the next step.
        const before = c.frames.length
        const deadline = Date.now() + 1000
        while (c.frames.length === before && !c.closed && Date.now() < deadline) await sleep(2)
      } else if (want !== undefined) {
        const deadline = Date.now() + 3000
        const enough = (): boolean =>
          [...conns].every(([name, cc]) => {
            const n = (want[name] ?? []).filter((f) => f !== '<closed>').length
            const closed = (want[name] ?? []).includes('<closed>')
            return cc.frames.length >= n && (!closed || cc.closed)
          })
        while (!enough() && Date.now() < deadline) await sleep(5)
      }
      await sleep(settle)
      const frames: Frames = {}
      const types = step.ann.includes('any')
      for (const [name, cc] of conns) {
        const list = cc.frames.splice(0).map((t) => show(t, types))
        if (cc.closed && !list.includes('<closed>') && !(cc as { reported?: boolean }).reported) {
          list.push('<closed>')
          ;(cc as { reported?: boolean }).reported = true
        }
        if (step.ann.includes('unordered')) list.sort()
        if (list.length > 0) frames[name] = list
      }
      out.push(frames)
    }
  } finally {
    for (const c of conns.values()) c.socket.destroy()
  }
  return out
}

/** Differences between two runs, one line per step that differs. */
export function compareRuns(steps: ScriptStep[], expected: Frames[], actual: Frames[]): string[] {
  const diffs: string[] = []
  steps.forEach((s, i) => {
    const e = JSON.stringify(expected[i] ?? {})
    const a = JSON.stringify(actual[i] ?? {})
    if (e !== a) diffs.push(`line ${s.line} [${s.client}] ${s.cmd}\n    expected: ${e}\n    actual:   ${a}`)
  })
  return diffs
}
