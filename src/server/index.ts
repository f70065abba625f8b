/**
 * `embedis/server`: a RESP2/RESP3 server over a Store, for any Redis client.
 * Node only (uses `node:net`).
 */
export { createServer, RespServer, type ServerAddress, type ServerOptions } from './server.js'
export { RespConnection, type ConnectionInfo, type Transport } from './connection.js'
