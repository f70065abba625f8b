/**
 * Replays every recorded scenario against a fresh Store, one Session per
 * scenario, and compares each reply, encoded as RESP2 and parsed back, with the
 * reply the reference server gave (or the Redis 7.2 correction).
 */
import { describe, it } from 'vitest'
import { ReplyParser, encodeReply, type Tagged } from '../../src/protocol/resp.js'
import { lua } from '../../src/scripting/index.js'
import type { Reply } from '../../src/core/reply.js'
import {
  commandArgv,
  formatMismatches,
  listFixtures,
  loadFixture,
  parsePseudo,
  replyMatches,
  type Mismatch,
} from './harness.js'
import { sleep } from '../helpers/wait.js'

interface SessionLike {
  execute(argv: (string | Buffer)[]): Reply | Promise<Reply>
}
interface StoreLike {
  session(): SessionLike
  close?(): void
}
type StoreCtor = new (options?: { scripting?: unknown }) => StoreLike

/** The Store class, or why it cannot be used yet. */
const storeClass: Promise<StoreCtor | string> = import('../../src/index.js').then(
  (m: Record<string, unknown>) => {
    const Store = m.Store
    if (typeof Store !== 'function') return 'src/index.ts does not export a Store class'
    if (typeof (Store as { prototype: { session?: unknown } }).prototype.session !== 'function') {
      return 'Store has no session() method'
    }
    return Store as StoreCtor
  },
  (e: unknown) => `cannot load src/index.ts: ${e instanceof Error ? e.message : String(e)}`,
)


/** A reply as it would reach a RESP2 client, in tagged form. */
function overTheWire(reply: Reply): Tagged {
  const parser = new ReplyParser()
  parser.feed(encodeReply(reply, 2))
  const t = parser.next()
  if (t === undefined) throw new Error('the encoded reply is incomplete')
  return t
}

const isThenable = (v: unknown): v is PromiseLike<Reply> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'

for (const family of listFixtures()) {
  const fixture = loadFixture(family)!
  describe(`conformance: ${family}`, () => {
    for (const scenario of fixture.scenarios) {
      it(scenario.name, async () => {
        const Store = await storeClass
        if (typeof Store === 'string') throw new Error(`${Store} — the conformance replay needs Store#session().execute`)
        // Scripting scenarios need the Lua hook; installing it everywhere keeps one code path.
        const store = new Store({ scripting: lua() })
        const mismatches: Mismatch[] = []
        try {
          const session = store.session()
          if (typeof session?.execute !== 'function') throw new Error('store.session() has no execute() method')
          for (const step of scenario.commands) {
            if (step.cmd.startsWith('@')) {
              await sleep(parsePseudo(step.cmd).sleep)
              continue
            }
            let actual: Tagged | string
            try {
              let reply = session.execute(commandArgv(step.cmd))
              if (isThenable(reply)) reply = await reply
              actual = overTheWire(reply)
            } catch (e) {
              actual = `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`
            }
            if (typeof actual === 'string' || !replyMatches(actual, step.reply!, step.ann)) {
              mismatches.push({ line: step.line, cmd: step.cmd, expected: step.reply, actual })
            }
          }
        } finally {
          store.close?.()
        }
        if (mismatches.length > 0) {
          throw new Error(`${mismatches.length} mismatching replies\n` + formatMismatches(`${family}.txt`, scenario.name, mismatches))
        }
      })
    }
  })
}
