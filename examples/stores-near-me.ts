/**
 * "Stores near me" with geo commands: store locations in a geo set (an
 * ordinary sorted set underneath), the nearest ones to a customer, distances,
 * a delivery box, and a cached result kept with GEOSEARCHSTORE.
 * Run it with `npx tsx examples/stores-near-me.ts`.
 */
import { Store } from '../src/index.js'

const store = new Store()

store.geoadd('stores', [
  { longitude: 2.2945, latitude: 48.8584, member: 'Tour Eiffel' },
  { longitude: 2.3499, latitude: 48.8530, member: 'Notre-Dame' },
  { longitude: 2.3376, latitude: 48.8606, member: 'Louvre' },
  { longitude: 2.3522, latitude: 48.8566, member: 'Hôtel de Ville' },
  { longitude: 2.2950, latitude: 48.8738, member: 'Arc de Triomphe' },
  { longitude: 2.3431, latitude: 48.8867, member: 'Montmartre' },
  { longitude: 2.1204, latitude: 48.8049, member: 'Versailles' },
])

const me = { longitude: 2.3470, latitude: 48.8589 } // near Châtelet

// The three closest stores, with how far they are.
const nearest = store.geosearchWith('stores', me, { radius: 5, unit: 'km' }, { sort: 'ASC', count: 3 })
for (const s of nearest) console.log(`${s.member.padEnd(16)} ${s.distance.toFixed(2)} km`)

// Everything inside a 4 km × 2 km delivery box around the customer.
console.log('in the delivery box:', store.geosearch('stores', me, { width: 4, height: 2, unit: 'km' }, { sort: 'ASC' }))

// Distances between two stores, in any unit; positions; geohash strings.
console.log('Louvre → Versailles:', store.geodist('stores', 'Louvre', 'Versailles', 'km'), 'km')
console.log('Louvre → Versailles:', store.geodist('stores', 'Louvre', 'Versailles', 'mi'), 'mi')
console.log('Montmartre is at', store.geopos('stores', 'Montmartre')[0])
console.log('geohash of Notre-Dame:', store.geohash('stores', 'Notre-Dame')[0])

// Cache "stores within 3 km of the Louvre", scored by distance, and expire it after 10 minutes.
const n = store.geosearchstore('near:louvre', 'stores', { member: 'Louvre' }, { radius: 3, unit: 'km' }, { storeDist: true })
store.expire('near:louvre', 600)
console.log(`${n} stores cached:`, store.call('ZRANGE', 'near:louvre', '0', '-1', 'WITHSCORES'))

// A geo set is a sorted set: ZREM closes a store, ZCARD counts them.
store.call('ZREM', 'stores', 'Versailles')
console.log('stores left:', store.call('ZCARD', 'stores'))
store.close()
