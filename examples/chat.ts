/**
 * A tiny chat on one Store, through three doors at once: ioredis clients
 * (embedis/ioredis) for the rooms, a RESP server for outside tools, and the
 * typed API with a WATCH/MULTI transaction and keyspace notifications.
 * Run it with `npx tsx examples/chat.ts`.
 */
import { Store } from '../src/index.js'
import { Redis } from '../src/ioredis/index.js'
import { createServer } from '../src/server/index.js'

const store = new Store({ config: { 'notify-keyspace-events': 'Ex' } })

// Presence keys expire; the expiry shows up as a keyspace event.
store.psubscribe('__keyevent@0__:expired', (key) => console.log(`[presence] ${key} went away`))

// Two chat members: ioredis clients on the same Store (no socket).
const alice = new Redis({ store })
const bobSub = new Redis({ store })
bobSub.on('message', (room: string, text: string) => console.log(`[bob hears in ${room}] ${text}`))
await bobSub.subscribe('room:lobby')

// Alice posts; PUBLISH returns how many subscribers got it.
console.log('receivers:', await alice.publish('room:lobby', 'hi bob!'))
await alice.set('presence:alice', 'online', 'PX', 50)

// A message counter updated with optimistic locking: retry when someone else wrote first.
async function countMessage(room: string): Promise<number> {
  for (;;) {
    store.watch(`count:${room}`)
    const n = Number(store.get(`count:${room}`) ?? 0)
    const r = store.multi().set(`count:${room}`, n + 1).exec()
    if (r !== null) return n + 1
  }
}
console.log('messages in lobby:', await countMessage('lobby'))

// The same data over RESP, for redis-cli and friends.
const server = createServer({ store, port: 0 })
const { port } = await server.listen()
console.log(`try: redis-cli -p ${port} GET count:lobby   (closing in a moment)`)

await new Promise((r) => setTimeout(r, 200))
await server.close()
alice.disconnect()
bobSub.disconnect()
store.close()
