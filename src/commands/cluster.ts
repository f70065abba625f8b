/**
 * Cluster commands. A Store is a standalone server (cluster_enabled:0), so
 * every CLUSTER subcommand, ASKING, READONLY and READWRITE answer Redis 7.2's
 * error for an instance started without cluster support.
 */
import { fail } from '../core/errors.js'
import type { Reply } from '../core/reply.js'
import { META } from './meta.generated.js'
import { defineCommand } from './table.js'

const CLUSTER_DISABLED = 'This instance has cluster support disabled'

const disabled = {
  parse: (): undefined => undefined,
  run: (): Reply => fail(CLUSTER_DISABLED),
}

// Every subcommand Redis 7.2 knows, HELP and KEYSLOT included: clusterCommand refuses them all first.
for (const sub of META['cluster']!.subs) defineCommand(`cluster|${sub}`, disabled)

defineCommand('asking', disabled)
defineCommand('readonly', disabled)
defineCommand('readwrite', disabled)
