/**
 * Every command group, registered in the one command table when its module
 * loads. The namespaces are referenced (not just imported for effect) so that
 * bundlers honouring `"sideEffects": false` keep every group.
 */
import * as strings from './strings.js'
import * as keys from './keys.js'
import * as server from './server.js'
import * as hashes from './hashes.js'
import * as sets from './sets.js'
import * as lists from './lists.js'
import * as sortedSets from './sorted-sets.js'
import * as sort from './sort.js'
import * as blocking from './blocking.js'
import * as bitmaps from './bitmaps.js'
import * as transactions from './transactions.js'
import * as pubsub from './pubsub.js'
import * as connection from './connection.js'
import * as streams from './streams.js'
import * as memory from './memory.js'
import * as hyperloglog from './hyperloglog.js'
import * as scripting from './scripting.js'
import * as geo from './geo.js'
import * as persistence from './persistence.js'
import * as admin from './admin.js'
import * as cluster from './cluster.js'

export const COMMAND_GROUPS: readonly object[] = [strings, keys, server, hashes, sets, lists, sortedSets, sort, blocking, bitmaps, transactions, pubsub, connection, streams, memory, hyperloglog, scripting, geo, persistence, admin, cluster]
