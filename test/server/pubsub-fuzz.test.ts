/**
 * Pub/sub across connections, against a live valkey-server: fixed seeds of the generator in
 * `pubsub-fuzz.ts`, each generated on valkey and replayed on embedis's RESP server; every
 * connection must receive the same frames in the same steps. A failure reproduces with
 * `npx tsx test/server/pubsub-fuzz.ts --from <seed> --seeds 1 --steps 60`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../../src/index.js'
import { lua } from '../../src/scripting/index.js'
import { createServer, type RespServer } from '../../src/server/index.js'
import { isValkeyAvailable, startValkey, type ValkeyServer } from '../helpers/valkey.js'
import { runSeed } from './pubsub-fuzz.js'

const enabled = isValkeyAvailable() && process.env.EMBEDIS_LIVE !== '0'
const SEEDS = [1, 2, 3, 6, 8, 17]
const STEPS = 60

describe.runIf(enabled)('pub/sub across connections: random scripts against a live valkey-server', () => {
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

  for (const seed of SEEDS) {
    it(`seed ${seed}`, async () => {
      const d = await runSeed(seed, STEPS, valkey.port, server.port)
      expect(d, d ?? '').toBeNull()
    }, 60_000)
  }
})
