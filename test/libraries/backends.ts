/**
 * Connections to one fresh backend for the library tests: an embedis Store through the ioredis drop-in,
 * or (live, when the binary is present and EMBEDIS_LIVE is not '0') a private valkey-server through
 * ioredis, so that the expectations are checked on both.
 *
 *   describe.each(backends)('lib on %s', (_name, backend) => {
 *     it('...', async () => {
 *       const { connect } = await backend()
 *       const a = connect()
 *     })
 *   })
 *
 * Importing this module registers, in the importing test file, an `afterEach` that runs `cleanups`
 * newest first.
 */
import { Redis as RealRedis, type RedisOptions } from 'ioredis'
import { afterEach } from 'vitest'
import { Store } from '../../src/index.js'
import { Redis, type EmbedisRedisOptions } from '../../src/ioredis/index.js'
import { lua } from '../../src/scripting/index.js'
import { isValkeyAvailable, startValkey } from '../helpers/valkey.js'

/** What to undo after the current test; run newest first. */
export const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** How a test reaches one fresh backend. */
export interface Target {
  name: 'embedis' | 'valkey-server'
  /** The ioredis class to construct: the drop-in, or the real one. */
  Redis: new (options: EmbedisRedisOptions) => RealRedis
  /** The options that reach this backend: `{ store }` or `{ port }`. */
  options: EmbedisRedisOptions
  /** A new client with `opts` and `options`, disconnected after the test (a plain function: it may be destructured). */
  connect(opts?: RedisOptions): RealRedis
}
export type Backend = () => Promise<Target>

function target(name: Target['name'], Class: Target['Redis'], options: EmbedisRedisOptions): Target {
  return {
    name,
    Redis: Class,
    options,
    connect(opts = {}) {
      const c = new Class({ ...opts, ...options })
      cleanups.push(() => c.disconnect())
      return c
    },
  }
}

const embedis: Backend = async () => {
  const store = new Store({ scripting: lua() })
  cleanups.push(() => store.close())
  return target('embedis', Redis, { store })
}
const valkey: Backend = async () => {
  const server = await startValkey()
  // First in, so last out: after every client of it has gone.
  cleanups.unshift(() => server.stop())
  return target('valkey-server', RealRedis, { port: server.port })
}

export const backends: Array<[string, Backend]> = [['embedis', embedis]]
if (isValkeyAvailable() && process.env.EMBEDIS_LIVE !== '0') backends.push(['valkey-server', valkey])
