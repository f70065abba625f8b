/**
 * Daily active users two ways: an exact bitmap (one bit per user id) and a
 * 12 KB HyperLogLog that estimates distinct visitors of any size, plus
 * weekly numbers from BITOP and PFCOUNT over several days.
 * Run it with `npx tsx examples/analytics.ts`.
 */
import { Store } from '../src/index.js'

const store = new Store()
const days = ['2024-05-01', '2024-05-02', '2024-05-03']

// Simulated traffic: user ids 0..9999, a different crowd each day.
// A small seeded generator (mulberry32) so every run prints the same numbers.
let seed = 42
function random(n: number): number {
  seed = (seed + 0x6d2b79f5) >>> 0
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)
}
for (const day of days) {
  for (let i = 0; i < 8_000; i++) {
    const user = random(10_000)
    store.setbit(`active:${day}`, user, 1) // exact: bit `user` of the day's bitmap
    store.pfadd(`visitors:${day}`, `user:${user}`) // approximate, fixed size
  }
}

for (const day of days) {
  const exact = store.bitcount(`active:${day}`)
  const estimate = store.pfcount(`visitors:${day}`)
  console.log(`${day}: ${exact} active (bitmap, ${store.strlen(`active:${day}`)} bytes), ~${estimate} (HLL, ${store.strlen(`visitors:${day}`)} bytes)`)
}

// Users active on every day, and on any day: BITOP over the bitmaps.
store.bitop('AND', 'active:all3', ...days.map((d) => `active:${d}`))
store.bitop('OR', 'active:any', ...days.map((d) => `active:${d}`))
console.log('active all three days:', store.bitcount('active:all3'))
console.log('active on any day (exact):', store.bitcount('active:any'))

// The same union with HyperLogLogs: PFCOUNT of several keys, or PFMERGE to keep it.
console.log('active on any day (HLL):', store.pfcount(...(days.map((d) => `visitors:${d}`) as [string, ...string[]])))
store.pfmerge('visitors:week', ...days.map((d) => `visitors:${d}`))
console.log('visitors:week ~', store.pfcount('visitors:week'))

// Was user 1234 active on May 2nd? Where is the first inactive user id?
console.log('user 1234 on 05-02:', store.getbit('active:2024-05-02', 1234) === 1)
console.log('first inactive id on 05-01:', store.bitpos('active:2024-05-01', 0))

// BITFIELD: per-hour counters packed as 16-bit unsigned integers in one string.
const hour = (h: number) => `#${h}` as const
for (let i = 0; i < 500; i++) store.bitfield('hits:2024-05-01', [{ overflow: 'SAT' }, { incrby: ['u16', hour(random(24)), 1] }])
console.log('hits 09:00-11:00:', store.bitfieldRo('hits:2024-05-01', [['u16', hour(9)], ['u16', hour(10)], ['u16', hour(11)]]))
store.close()
