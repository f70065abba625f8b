/**
 * Pub/sub frames whose order or presence Redis 7.2 fixes (frames as recorded from valkey-server):
 * confirmations are pushes that CLIENT REPLY OFF does not hold back, and a blocked command's reply
 * comes before the notifications its own serving causes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Store } from '../../src/index.js'
import { createServer, type RespServer } from '../../src/server/index.js'
import { Run } from './blocking-fuzz.js'

let server: RespServer
let run: Run
beforeEach(async () => {
  server = createServer({ store: new Store(), port: 0 })
  await server.listen()
  run = new Run(server.port)
})
afterEach(async () => {
  run.close()
  await server.close()
})

describe('pub/sub frames', () => {
  for (const resp of [2, 3]) {
    it(`CLIENT REPLY OFF still sends (un)subscribe confirmations (RESP${resp}), and nothing else`, async () => {
      if (resp === 3) await run.step({ client: 'a', argv: ['HELLO', '3'] })
      const p = resp === 3 ? 'push' : ''
      expect(await run.step({ client: 'a', argv: ['CLIENT', 'REPLY', 'OFF'], mayBlock: true })).toEqual({})
      expect(await run.step({ client: 'a', argv: ['SUBSCRIBE', 'x', 'y'], mayBlock: true })).toEqual({
        a: [`${p}["subscribe" "x" :1]`, `${p}["subscribe" "y" :2]`],
      })
      expect(await run.step({ client: 'a', argv: ['UNSUBSCRIBE', 'x'], mayBlock: true })).toEqual({ a: [`${p}["unsubscribe" "x" :1]`] })
      expect(await run.step({ client: 'a', argv: ['PSUBSCRIBE', 'p*'], mayBlock: true })).toEqual({ a: [`${p}["psubscribe" "p*" :2]`] })
      expect(await run.step({ client: 'a', argv: ['PING'], mayBlock: true })).toEqual({})
      expect(await run.step({ client: 'b', argv: ['PUBLISH', 'y', 'm'] })).toEqual({ a: [`${p}["message" "y" "m"]`], b: [':1'] })
    })
  }

  it("a served blocked command's reply precedes the notifications of its own pop (RESP3 subscriber)", async () => {
    await run.step({ client: 'a', argv: ['HELLO', '3'] })
    await run.step({ client: 'b', argv: ['CONFIG', 'SET', 'notify-keyspace-events', 'Kl'] })
    expect(await run.step({ client: 'a', argv: ['PSUBSCRIBE', '__keyspace@0__:*'] })).toEqual({ a: ['push["psubscribe" "__keyspace@0__:*" :1]'] })
    expect(await run.step({ client: 'a', argv: ['BLPOP', 'bl', '0'], mayBlock: true })).toEqual({})
    expect(await run.step({ client: 'b', argv: ['RPUSH', 'bl', 'x', 'y'] })).toEqual({
      a: ['push["pmessage" "__keyspace@0__:*" "__keyspace@0__:bl" "rpush"]', '["bl" "x"]', 'push["pmessage" "__keyspace@0__:*" "__keyspace@0__:bl" "lpop"]'],
      b: [':2'],
    })
  })
})
