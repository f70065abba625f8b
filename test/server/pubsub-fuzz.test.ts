/**
 * Pub/sub across connections, against a live valkey-server: fixed seeds of the generator in
 * `pubsub-fuzz.ts`, each generated on valkey and replayed on embedis's RESP server; every
 * connection must receive the same frames in the same steps. A failure reproduces with
 * `npx tsx test/server/pubsub-fuzz.ts --from <seed> --seeds 1 --steps 60`.
 */
import { liveSuite } from './conn-fuzz.js'
import { pubsubFuzzer } from './pubsub-fuzz.js'

liveSuite('pub/sub across connections: random scripts against a live valkey-server', pubsubFuzzer(), [1, 2, 3, 6, 8, 17], 60)
