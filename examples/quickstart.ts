/**
 * A first tour of embedis: a TTL cache, counters and a key scan, all in-process.
 * Run it with `npm start`.
 */
import { ManualClock, ReplyError, Store } from '../src/index.js'

// A clock we move by hand, so the TTLs below play out instantly.
const clock = new ManualClock()
const store = new Store({ clock })

// --- A TTL cache -----------------------------------------------------------
function cachedUser(id: number): string {
  const key = `user:${id}`
  const hit = store.get(key)
  if (hit !== null) return `${hit} (cached)`
  const fresh = JSON.stringify({ id, name: `User ${id}` }) // stands in for a slow lookup
  store.set(key, fresh, { ex: 30 })
  return fresh
}
console.log(cachedUser(1))
console.log(cachedUser(1))
console.log('ttl of user:1 =', store.ttl('user:1'), 's')
clock.advance(31_000)
console.log('after 31 s, user:1 is', store.get('user:1'))

// --- Counters -----------------------------------------------------------------
for (let i = 0; i < 5; i++) store.incr('page:views')
store.incrby('page:views', 10)
console.log('page:views =', store.get('page:views'))
console.log('INCRBYFLOAT 0.1 then 0.2 =', (store.incrbyfloat('price', 0.1), store.incrbyfloat('price', 0.2)))

// Redis's errors, word for word:
store.set('name', 'embedis')
try {
  store.incr('name')
} catch (e) {
  console.log('INCR on text ->', (e as ReplyError).message)
}

// --- Scanning keys -------------------------------------------------------------
store.mset({ 'session:a': '1', 'session:b': '2', 'session:c': '3', other: 'x' })
const sessions = [...store.scanIterator({ match: 'session:*' })].sort()
console.log('sessions:', sessions)

// Any command by name, with Redis's replies:
console.log("call('DBSIZE') =", store.call('DBSIZE'))
console.log("call('OBJECT', 'ENCODING', 'page:views') =", store.call('OBJECT', 'ENCODING', 'page:views'))

store.close()
