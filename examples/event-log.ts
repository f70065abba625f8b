/**
 * An event log with consumer groups: producers append to a stream, two
 * workers share the work through a group, a crashed worker's messages are
 * reclaimed, and a blocked reader wakes up on the next event.
 * Run it with `npx tsx examples/event-log.ts`.
 */
import { ManualClock, Store } from '../src/index.js'

const clock = new ManualClock(Date.UTC(2024, 4, 1, 9, 0, 0))
const store = new Store({ clock })

// --- Producers: IDs come from the clock, so they sort by time -----------------
for (const [type, order] of [
  ['order.created', 'A-1'],
  ['order.created', 'A-2'],
  ['order.paid', 'A-1'],
  ['order.created', 'A-3'],
] as const) {
  const id = store.xadd('orders', '*', { type, order }, { maxlen: 10_000, approx: true })
  console.log('appended', id, type, order)
}
console.log('log length:', store.xlen('orders'))

// --- A consumer group: each message goes to one worker ------------------------
store.xgroupCreate('orders', 'billing', '0')
const a = store.xreadgroup('billing', 'worker-a', { orders: '>' }, { count: 2 })!
const b = store.xreadgroup('billing', 'worker-b', { orders: '>' }, { count: 2 })!
console.log('worker-a got', a[0]!.entries.map((e) => `${e.id} ${e.fields?.get('type')}`))
console.log('worker-b got', b[0]!.entries.map((e) => `${e.id} ${e.fields?.get('type')}`))

// worker-a finishes its work and acknowledges; worker-b "crashes".
store.xack('orders', 'billing', ...a[0]!.entries.map((e) => e.id))
console.log('pending after worker-a acked:', store.xpending('orders', 'billing'))

// --- Recovery: after 60 s, another worker claims what worker-b left behind -----
clock.advance(60_000)
const claimed = store.xautoclaim('orders', 'billing', 'worker-c', 30_000, '0')
console.log('worker-c reclaimed', claimed.claimed.map((e) => e.id))
store.xack('orders', 'billing', ...claimed.claimed.map((e) => e.id))
console.log('consumers:', store.xinfoConsumers('orders', 'billing').map((c) => `${c.name}: ${c.pending} pending`))

// --- A blocking read wakes on the next event ------------------------------------
const waiting = store.xreadgroup('billing', 'worker-a', { orders: '>' }, { block: 5000 })
setTimeout(() => store.xadd('orders', '*', { type: 'order.shipped', order: 'A-1' }), 10)
const got = await waiting
console.log('woke with', got![0]!.entries.map((e) => Object.fromEntries(e.fields ?? [])))

console.log('group lag:', store.xinfoGroups('orders').map((g) => `${g.name} lag=${g.lag}`))
store.close()
