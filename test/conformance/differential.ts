/**
 * Differential testing against a real server: seeded random command sequences, one generator per
 * command family (`fuzz/<family>.ts`), run on a fresh valkey-server database and on a fresh Store
 * session side by side; every reply must match (error text included).
 *
 *   npx tsx test/conformance/differential.ts <family|all> [--seeds 200] [--from 1] [--steps 80] [--resp 3]
 *
 * Prints, per failing seed, the command sequence up to the first differing reply. A difference
 * found this way becomes a scenario in `scenarios/<family>.txt`, so the replay keeps covering it.
 * `differential.test.ts` runs a few seeds of every family live (when valkey-server is present).
 */
import type { Reply } from '../../src/core/reply.js'
import { lua } from '../../src/scripting/index.js'
import { ReplyParser, encodeReply, type Tagged } from '../../src/protocol/resp.js'
import { Store } from '../../src/index.js'
import type { RespClient, ValkeyServer } from '../helpers/valkey.js'
import { replyMatches, showReply, type Annotation } from './harness.js'
import { FAMILIES } from './fuzz/index.js'
import type { Cmd } from './fuzz/gen.js'
import { Rng } from './fuzz/gen.js'

export { FAMILIES }

/** The first differing step of one seed's run. */
export interface Divergence {
  family: string
  seed: number
  /** Commands up to and including the differing one, in redis-cli notation. */
  commands: string[]
  expected: string
  actual: string
}

/** A reply as it would reach a client of protocol `resp`, in tagged form. */
function overTheWire(reply: Reply, resp: 2 | 3): Tagged {
  const parser = new ReplyParser()
  parser.feed(encodeReply(reply, resp))
  const t = parser.next()
  if (t === undefined) throw new Error('the encoded reply is incomplete')
  return t
}

const isThenable = (v: unknown): v is PromiseLike<Reply> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'

/** One argument in redis-cli notation (quoted when needed). */
export function quoteArg(a: string): string {
  if (a !== '' && /^[\x21-\x7e]+$/.test(a) && !/["'\\#]/.test(a)) return a
  let out = '"'
  for (const b of Buffer.from(a, 'utf8')) {
    if (b === 0x22) out += '\\"'
    else if (b === 0x5c) out += '\\\\'
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b)
    else out += '\\x' + b.toString(16).padStart(2, '0')
  }
  return out + '"'
}

const line = (c: Cmd): string => c.argv.map(quoteArg).join(' ') + (c.ann && c.ann.length > 0 ? `  # ${c.ann.join(' ')}` : '')

/** Runs one seed of `family` on both sides; the first divergence, or null. */
export async function runSeed(
  client: RespClient,
  family: string,
  seed: number,
  steps: number,
  resp: 2 | 3 = 2,
): Promise<Divergence | null> {
  const gen = FAMILIES[family]
  if (gen === undefined) throw new Error(`no generator for ${family}`)
  const r = new Rng(seed)
  // A seed may end inside MULTI, in another database or watching keys: start the next one clean.
  await client.send(['RESET'])
  const flushed = await client.send(['FLUSHALL'])
  if (flushed.t !== 'status') throw new Error(`FLUSHALL failed: ${JSON.stringify(flushed)}`)
  const store = new Store({ scripting: lua() })
  const session = store.session()
  const done: string[] = []
  try {
    if (resp === 3) {
      await client.send(['HELLO', '3'])
      await session.execute(['HELLO', '3'])
      done.push('HELLO 3')
    }
    for (let i = 0; i < steps; i++) {
      const cmd = gen(r)
      done.push(line(cmd))
      const expected = await client.send(cmd.argv)
      let actual: Tagged | string
      try {
        let reply = session.execute(cmd.argv)
        if (isThenable(reply)) reply = await reply
        actual = overTheWire(reply, resp)
      } catch (e) {
        actual = `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`
      }
      const ann: readonly Annotation[] = cmd.ann ?? []
      if (typeof actual === 'string' || !replyMatches(actual, expected, ann)) {
        return {
          family,
          seed,
          commands: done,
          expected: showReply(expected),
          actual: typeof actual === 'string' ? actual : showReply(actual),
        }
      }
    }
    return null
  } finally {
    store.close()
  }
}

export function formatDivergence(d: Divergence): string {
  return [
    `--- ${d.family} seed ${d.seed}: step ${d.commands.length} differs`,
    ...d.commands.map((c, i) => `${i + 1 === d.commands.length ? '>>' : '  '} ${c}`),
    `   valkey:  ${d.expected}`,
    `   embedis: ${d.actual}`,
  ].join('\n')
}

async function main(): Promise<void> {
  const { startValkey } = await import('../helpers/valkey.js')
  const args = process.argv.slice(2)
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? Number(args[i + 1]) : dflt
  }
  const which = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'all'
  const families = which === 'all' ? Object.keys(FAMILIES) : which.split(',')
  const seeds = opt('seeds', 200)
  const from = opt('from', 1)
  const steps = opt('steps', 80)
  const resp = opt('resp', 2) === 3 ? 3 : 2
  const server: ValkeyServer = await startValkey()
  const client = await server.connect()
  let failures = 0
  try {
    for (const family of families) {
      const seen = new Set<string>()
      for (let seed = from; seed < from + seeds; seed++) {
        const d = await runSeed(client, family, seed, steps, resp)
        if (d === null) continue
        failures++
        // One report per distinct last command name, so one bug does not flood the output.
        const sig = d.commands[d.commands.length - 1]!.split(' ')[0]!.toUpperCase() + ' ' + d.expected.slice(0, 40)
        if (seen.has(sig)) continue
        seen.add(sig)
        console.log(formatDivergence(d))
      }
      console.log(`${family}: ${seeds} seeds × ${steps} steps, RESP${resp}`)
    }
  } finally {
    client.close()
    await server.stop()
  }
  console.log(failures === 0 ? 'no differences' : `${failures} seeds differ`)
  process.exitCode = failures === 0 ? 0 : 1
}

if (import.meta.url === `file://${process.argv[1]}`) void main()
