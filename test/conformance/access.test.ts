/**
 * Access semantics (keyspace hits and misses, idle time) of each probe in
 * access.ts: the Store against the recorded fixture, and the fixture against a
 * live valkey-server when one is on PATH (EMBEDIS_LIVE=0 turns that off).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isValkeyAvailable } from '../helpers/valkey.js'
import { FIXTURE, PROBES, measureStore, measureValkey, type AccessResult } from './access.js'

const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as AccessResult[]
const show = (r: AccessResult[]) => r.map((x) => `${x.probe}: ${x.hits} hits, ${x.misses} misses, key ${x.key}`)

describe('access semantics, as recorded from valkey 8', () => {
  it('the fixture covers every probe', () => {
    expect(recorded.map((r) => r.probe)).toEqual(PROBES.map((p) => p[0]))
  })

  it('the Store counts the same hits and misses and touches the same keys', async () => {
    expect(show(await measureStore())).toEqual(show(recorded))
  })

  it.runIf(isValkeyAvailable() && process.env.EMBEDIS_LIVE !== '0')('the fixture matches a live valkey-server', async () => {
    expect(show(await measureValkey())).toEqual(show(recorded))
  }, 30_000)
})
