/**
 * Keyspace notifications of each probe in notifications.ts: embedis's RESP
 * server against the recorded fixture, and the fixture against a live
 * valkey-server when one is on PATH (EMBEDIS_LIVE=0 turns that off).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Store } from '../../src/index.js'
import { createServer } from '../../src/server/index.js'
import { isValkeyAvailable, startValkey } from '../helpers/valkey.js'
import { FIXTURE, PROBES, notificationsAt } from './notifications.js'

const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Array<{ probe: string; events: string[] }>
const show = (events: string[][]) => events.map((e, i) => `${PROBES[i]![0]}: ${e.join(' | ')}`)

describe('keyspace notifications, as recorded from valkey 8', () => {
  it('the fixture covers every probe', () => {
    expect(recorded.map((r) => r.probe)).toEqual(PROBES.map((p) => p[0]))
  })

  it('the Store sends the same events, in the same order', async () => {
    const store = new Store()
    const server = createServer({ store, port: 0 })
    await server.listen()
    try {
      expect(show(await notificationsAt(server.port))).toEqual(show(recorded.map((r) => r.events)))
    } finally {
      await server.close()
      store.close()
    }
  }, 30_000)

  it.runIf(isValkeyAvailable() && process.env.EMBEDIS_LIVE !== '0')('the fixture matches a live valkey-server', async () => {
    const server = await startValkey()
    try {
      expect(show(await notificationsAt(server.port))).toEqual(show(recorded.map((r) => r.events)))
    } finally {
      await server.stop()
    }
  }, 30_000)
})
