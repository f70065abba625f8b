/**
 * A small product service with an in-process, bounded cache in front of a
 * slow "database": cache-aside reads with single flight and
 * stale-while-revalidate, invalidation on writes, a memory limit with LFU
 * eviction, and the statistics to watch. Run it with
 * `npx tsx examples/cache-service.ts`.
 */
import { Store } from '../src/index.js'

interface Product {
  id: string
  name: string
  price: number
}

// --- The slow backend -----------------------------------------------------------
const table = new Map<string, Product>()
for (let i = 0; i < 5000; i++) table.set(String(i), { id: String(i), name: `Product ${i}`, price: 100 + (i % 50) })
let queries = 0
async function loadProduct(id: string): Promise<Product> {
  queries++
  await new Promise((r) => setImmediate(r)) // stands in for a network round trip
  const p = table.get(id)
  if (!p) throw new Error(`no product ${id}`)
  return { ...p }
}

// --- The cache ----------------------------------------------------------------------
// 512 KB for the whole store; at the limit the least frequently used keys go.
const store = new Store({ maxmemory: '512kb', maxmemoryPolicy: 'allkeys-lfu' })
const products = store.cache<Product>({
  prefix: 'product:',
  ttl: 60, // fresh for a minute...
  staleWhileRevalidate: 30, // ...then served for 30 s more while a refresh runs
  jitter: 0.1, // so keys cached together do not expire together
  loader: loadProduct,
  onError: (err, id) => console.warn(`background refresh of ${id} failed:`, (err as Error).message),
})

/** The service's read path. */
function getProduct(id: string): Promise<Product> {
  return products.fetch(id)
}

/** The write path: update the source of truth, then drop the cached copy. */
async function updatePrice(id: string, price: number): Promise<void> {
  const p = table.get(id)
  if (!p) throw new Error(`no product ${id}`)
  p.price = price
  products.delete(id)
}

// --- Traffic --------------------------------------------------------------------------
// 100 concurrent requests for one cold product: one database query.
await Promise.all(Array.from({ length: 100 }, () => getProduct('42')))
console.log('100 concurrent reads of a cold key ->', queries, 'query')

// A skewed workload: a few products are popular, most are not.
queries = 0
for (let i = 0; i < 20_000; i++) {
  const id = String(Math.floor(5000 * Math.random() ** 3))
  await getProduct(id)
}
const stats = products.stats()
console.log(`20,000 reads -> ${queries} queries, hit rate ${((stats.hits / (stats.hits + stats.misses)) * 100).toFixed(1)}%`)

// Writes invalidate; the next read loads the new price.
await updatePrice('42', 1)
console.log('price after update:', (await getProduct('42')).price)

// Errors are never cached: the caller sees them, the next call tries again.
await getProduct('nope').catch((e: Error) => console.log('error passed through:', e.message))
console.log('cached the error?', products.has('nope'))

// What the limit did.
const mem = store.memoryStats()
console.log(
  `keys ${mem.keys}, ~${(mem.used / 1024).toFixed(0)} KB of ${(mem.maxmemory / 1024).toFixed(0)} KB, ` +
    `${mem.evictedKeys} evicted (${mem.policy})`,
)
console.log('MEMORY USAGE product:42 =', store.memoryUsage('product:42'), 'bytes')
console.log('OBJECT FREQ product:42 =', store.call('OBJECT', 'FREQ', 'product:42'))
store.close()
