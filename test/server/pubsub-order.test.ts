/**
 * Pub/sub frames whose order or presence Redis 7.2 fixes (frames as recorded from valkey-server):
 * confirmations are pushes that CLIENT REPLY OFF does not hold back, a blocked command's reply
 * comes before the notifications its own serving causes, EXEC's array counts commands, and a
 * connection that closes itself unanswered stays open.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Store } from '../../src/index.js'
import { createServer, type RespServer } from '../../src/server/index.js'
import { Run } from './conn-fuzz.js'

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

  it('RESET under CLIENT REPLY SKIP goes unanswered (the skip applies to it), and turns replies back on', async () => {
    expect(await run.step({ client: 'a', argv: ['CLIENT', 'REPLY', 'SKIP'], mayBlock: true })).toEqual({})
    expect(await run.step({ client: 'a', argv: ['RESET'], mayBlock: true })).toEqual({})
    expect(await run.step({ client: 'a', argv: ['PING'] })).toEqual({ a: ['+PONG'] })
    await run.step({ client: 'a', argv: ['CLIENT', 'REPLY', 'OFF'], mayBlock: true })
    expect(await run.step({ client: 'a', argv: ['RESET'] })).toEqual({ a: ['+RESET'] })
  })

  it("EXEC's array counts queued commands, not the confirmations a SUBSCRIBE of several channels sends", async () => {
    for (const argv of [['MULTI'], ['SUBSCRIBE', 'q', 'r'], ['PING']]) await run.step({ client: 'a', argv })
    // RESP2: the header says 2, the two confirmations fill it, and PING's reply follows on its own.
    expect(await run.step({ client: 'a', argv: ['EXEC'] })).toEqual({ a: ['[["subscribe" "q" :1] ["subscribe" "r" :2]]', '["pong" ""]'] })
    await run.step({ client: 'b', argv: ['HELLO', '3'] })
    for (const argv of [['MULTI'], ['PSUBSCRIBE', 'p*', 'q*'], ['PING']]) await run.step({ client: 'b', argv })
    expect(await run.step({ client: 'b', argv: ['EXEC'] })).toEqual({ b: ['[push["psubscribe" "p*" :1] push["psubscribe" "q*" :2]]', '+PONG'] })
  })

  for (const argv of [['QUIT'], ['CLIENT', 'KILL', 'ID', '$id:a', 'SKIPME', 'no']]) {
    it(`${argv.slice(0, 2).join(' ')} with its reply silenced leaves the connection open, deaf and subscribed, as Redis does`, async () => {
      await run.step({ client: 'a', argv: ['HELLO', '3'] })
      await run.step({ client: 'a', argv: ['SUBSCRIBE', 'ch'] })
      await run.step({ client: 'a', argv: ['CLIENT', 'REPLY', 'OFF'], mayBlock: true })
      // Redis closes a connection once its output is written; with nothing to write, never.
      expect(await run.step({ client: 'a', argv, mayBlock: true })).toEqual({})
      expect(await run.step({ client: 'a', argv: ['CLIENT', 'REPLY', 'ON'], mayBlock: true })).toEqual({})
      const list = (await run.step({ client: 'b', argv: ['CLIENT', 'LIST'] })).b![0]!
      expect(list).toMatch(/flags=Pc .*sub=1 /)
      // Still counted as a subscriber, but sent nothing.
      expect(await run.step({ client: 'b', argv: ['PUBLISH', 'ch', 'm'] })).toEqual({ b: [':1'] })
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
