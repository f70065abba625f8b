/**
 * Scripting: a script making two `redis.call`s (SET then GET), run by SHA1
 * (EVALSHA) in embedis, against ioredis-mock running it with EVAL and a real
 * server running it with EVALSHA over loopback (ioredis). One run; ratios are
 * to ioredis-mock.
 */
import { Store } from '../src/index.js'
import { lua } from '../src/scripting/index.js'
import { isMain, printTable, ratio, realServerClient, runRows, type Row } from './lib.js'

const SCRIPT = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])"

export async function benchScripting(): Promise<Map<string, Map<string, number>>> {
  const store = new Store({ scripting: lua() })
  const sha = store.scriptLoad(SCRIPT)
  const ks = Array.from({ length: 1000 }, (_, i) => `key:${i}`)
  let i = 0
  const next = () => ks[(i = (i + 1) % ks.length)]!

  const { default: RedisMock } = await import('ioredis-mock')
  const mock = new RedisMock()

  const srv = await realServerClient()
  const real = srv?.client
  if (real) await real.script('LOAD', SCRIPT)

  const rows: Row[] = [
    {
      op: 'script: SET + GET',
      impls: {
        'embedis evalsha': () => store.evalsha(sha, [next()], ['v']),
        'embedis call(EVALSHA)': () => store.call('EVALSHA', sha, '1', next(), 'v'),
        'ioredis-mock eval': () => mock.eval(SCRIPT, 1, next(), 'v'),
        ...(real ? { 'real server evalsha': () => real!.evalsha(sha, 1, next(), 'v') } : {}),
      },
    },
  ]
  const results = await runRows(rows, { time: 1000, warmupTime: 300 })
  printTable('Scripting (ratios to ioredis-mock eval)', results, 'ioredis-mock eval')
  const op = 'script: SET + GET'
  console.log(`\nembedis EVALSHA vs ioredis-mock EVAL: ${ratio(results, op, 'embedis evalsha', 'ioredis-mock eval').toFixed(1)}×`)
  if (real) console.log(`embedis EVALSHA vs real server EVALSHA: ${ratio(results, op, 'embedis evalsha', 'real server evalsha').toFixed(1)}×`)
  await srv?.close()
  mock.disconnect()
  store.close()
  return results
}

if (isMain(import.meta.url, 'scripting')) await benchScripting()
