/**
 * Seeded random command sequences of every family, run on a live valkey-server and on a Store side
 * by side (`differential.ts`), in RESP2 and RESP3; every reply must match. After each RESP2 run,
 * every key's DUMP must be Redis's bytes and load on each side as that side's own does, and the
 * Store's effects replayed on an emptied valkey must rebuild the same data. A third run goes
 * through embedis's RESP server. Needs valkey-server on PATH; EMBEDIS_LIVE=0 turns it off. The
 * seeds are fixed, so a failure here reproduces with
 * `npx tsx test/conformance/differential.ts <family> --from <seed> --seeds 1 [--resp 3 | --dump | --server]`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../../src/index.js'
import { lua } from '../../src/scripting/index.js'
import { createServer, type RespServer } from '../../src/server/index.js'
import { isValkeyAvailable, RespClient, startValkey, type ValkeyServer } from '../helpers/valkey.js'
import { FAMILIES, formatDivergence, NotifyTap, REDIS72_DEFAULTS, runSeed, type SeedOptions } from './differential.js'

const enabled = isValkeyAvailable() && process.env.EMBEDIS_LIVE !== '0'
const SEEDS = 60
const STEPS = 100

describe.runIf(enabled)('differential: random command sequences against a live valkey-server', () => {
  let server: ValkeyServer
  let client: RespClient
  let embedis: RespServer
  let overTcp: RespClient
  let notify: NotifyTap
  beforeAll(async () => {
    server = await startValkey(REDIS72_DEFAULTS)
    client = await server.connect()
    // Keyspace notifications on for every run; only the notification run compares them.
    await client.send(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'])
    notify = await NotifyTap.open(server)
    embedis = createServer({ store: new Store({ scripting: lua() }), port: 0 })
    await embedis.listen()
    overTcp = await RespClient.open(embedis.port)
  }, 20_000)
  afterAll(async () => {
    notify?.close()
    client?.close()
    overTcp?.close()
    await embedis?.close()
    await server?.stop()
  })

  // Other seeds for each way of running: the commands are the same, the layers they pass differ.
  const RUNS = [
    { name: 'RESP2', from: 1, seeds: SEEDS, opts: (): SeedOptions => ({ resp: 2, dumps: true }) },
    { name: 'RESP3', from: 1001, seeds: SEEDS / 2, opts: (): SeedOptions => ({ resp: 3 }) },
    { name: 'over the RESP server', from: 2001, seeds: SEEDS / 3, opts: (): SeedOptions => ({ resp: 2, server: overTcp }) },
    { name: 'keyspace notifications', from: 3001, seeds: SEEDS / 3, opts: (): SeedOptions => ({ resp: 2, notify }) },
  ]
  for (const family of Object.keys(FAMILIES)) {
    for (const run of RUNS) {
      it(`${family}, ${run.name}: ${run.seeds} seeds × ${STEPS} commands`, async () => {
        const reports: string[] = []
        for (let seed = run.from; seed < run.from + run.seeds; seed++) {
          const d = await runSeed(client, family, seed, STEPS, run.opts())
          if (d !== null) reports.push(formatDivergence(d))
        }
        expect(reports).toEqual([])
      }, 60_000)
    }
  }
})
