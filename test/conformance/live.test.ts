/**
 * Runs the scenario files against a fresh valkey-server and compares with the
 * recorded fixtures, so that fixtures which no longer match their scenario
 * file or the reference server are caught. Needs valkey-server on PATH; set
 * EMBEDIS_LIVE=0 to turn it off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isValkeyAvailable, startValkey, type ValkeyServer } from '../helpers/valkey.js'
import {
  formatMismatches,
  listFamilies,
  loadFixture,
  loadScenarios,
  replyMatches,
  serverReply,
  staleness,
  type Mismatch,
} from './harness.js'
import { runOnServer } from './server-runner.js'

const enabled = isValkeyAvailable() && process.env.EMBEDIS_LIVE !== '0'

describe.runIf(enabled)('conformance fixtures against a live valkey-server', () => {
  let server: ValkeyServer
  beforeAll(async () => {
    server = await startValkey()
  }, 20_000)
  afterAll(async () => {
    await server?.stop()
  })

  for (const family of listFamilies()) {
    const scenarios = loadScenarios(family)
    const fixture = loadFixture(family)

    describe(family, () => {
      it('fixture is in step with the scenario file', () => {
        expect(staleness(scenarios, fixture, family)).toEqual([])
      })

      for (const scenario of scenarios) {
        it(scenario.name, async () => {
          const recorded = fixture?.scenarios.find((s) => s.name === scenario.name)
          if (recorded === undefined) throw new Error(`no recording of '${scenario.name}' in fixtures/${family}.json`)
          const replies = await runOnServer(server, scenario)
          const mismatches: Mismatch[] = []
          scenario.steps.forEach((step, i) => {
            const got = replies[i]
            const rec = recorded.commands[i]
            if (got === undefined || step.ann.includes('skip-live')) return
            const expected = rec?.cmd === step.cmd ? serverReply(rec) : undefined
            if (expected === undefined || !replyMatches(got, expected, step.ann)) {
              mismatches.push({ line: step.line, cmd: step.cmd, expected, actual: got })
            }
          })
          if (mismatches.length > 0) {
            throw new Error(
              `${mismatches.length} replies differ from the recording\n` +
                formatMismatches(`${family}.txt`, scenario.name, mismatches),
            )
          }
        })
      }
    })
  }
})
