/**
 * Blocking commands across connections, against a live valkey-server: fixed seeds of the
 * generator in `blocking-fuzz.ts`, each generated on valkey and replayed on embedis's RESP server;
 * every connection must receive the same frames in the same steps. A failure reproduces with
 * `npx tsx test/server/blocking-fuzz.ts --from <seed> --seeds 1 --steps 40`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../../src/index.js'
import { lua } from '../../src/scripting/index.js'
import { createServer, type RespServer } from '../../src/server/index.js'
import { isValkeyAvailable, startValkey, type ValkeyServer } from '../helpers/valkey.js'
import { runSeed } from './blocking-fuzz.js'

const enabled = isValkeyAvailable() && process.env.EMBEDIS_LIVE !== '0'
const SEEDS = 16
const STEPS = 40

describe.runIf(enabled)('blocking commands across connections: random scripts against a live valkey-server', () => {
  let valkey: ValkeyServer
  let server: RespServer
  beforeAll(async () => {
    valkey = await startValkey()
    server = createServer({ store: new Store({ scripting: lua() }), port: 0 })
    await server.listen()
  }, 20_000)
  afterAll(async () => {
    await server?.close()
    await valkey?.stop()
  })

  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`seed ${seed}`, async () => {
      const d = await runSeed(seed, STEPS, valkey.port, server.port)
      expect(d, d ?? '').toBeNull()
    }, 60_000)
  }
})
