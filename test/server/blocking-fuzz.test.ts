/**
 * Blocking commands across connections, against a live valkey-server: fixed seeds of the
 * generator in `blocking-fuzz.ts`, each generated on valkey and replayed on embedis's RESP server;
 * every connection must receive the same frames in the same steps. A failure reproduces with
 * `npx tsx test/server/blocking-fuzz.ts --from <seed> --seeds 1 --steps 40`.
 */
import { liveSuite } from './conn-fuzz.js'
import { blockingFuzzer } from './blocking-fuzz.js'

liveSuite('blocking commands across connections: random scripts against a live valkey-server', blockingFuzzer, Array.from({ length: 16 }, (_, i) => i + 1), 40)
