/**
 * Seeded random command sequences of every family, run on a live valkey-server and on a Store side
 * by side (`differential.ts`), in RESP2 and RESP3; every reply must match. After each RESP2 run,
 * every key's DUMP must load on each side as that side's own does, and the Store's effects replayed
 * on an emptied valkey must rebuild the same data. Needs valkey-server on PATH;
 * EMBEDIS_LIVE=0 turns it off. The seeds are fixed, so a failure here reproduces with
 * `npx tsx test/conformance/differential.ts <family> --from <seed> --seeds 1 [--resp 3 | --dump]`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isValkeyAvailable, startValkey, type RespClient, type ValkeyServer } from '../helpers/valkey.js'
import { FAMILIES, formatDivergence, runSeed } from './differential.js'

const enabled = isValkeyAvailable() && process.env.EMBEDIS_LIVE !== '0'
const SEEDS = 60
const STEPS = 100

describe.runIf(enabled)('differential: random command sequences against a live valkey-server', () => {
  let server: ValkeyServer
  let client: RespClient
  beforeAll(async () => {
    server = await startValkey()
    client = await server.connect()
  }, 20_000)
  afterAll(async () => {
    client?.close()
    await server?.stop()
  })

  for (const family of Object.keys(FAMILIES)) {
    for (const resp of [2, 3] as const) {
      // RESP3 runs other seeds: the commands are the same, the reply types are what differs.
      const from = resp === 2 ? 1 : 1001
      const seeds = resp === 2 ? SEEDS : SEEDS / 2
      it(`${family}, RESP${resp}: ${seeds} seeds × ${STEPS} commands`, async () => {
        const reports: string[] = []
        for (let seed = from; seed < from + seeds; seed++) {
          const d = await runSeed(client, family, seed, STEPS, resp, resp === 2)
          if (d !== null) reports.push(formatDivergence(d))
        }
        expect(reports).toEqual([])
      }, 60_000)
    }
  }
})
