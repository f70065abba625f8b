/**
 * Records conformance fixtures from a private valkey-server:
 *
 *   npx tsx test/conformance/record.ts [family...]
 *
 * Runs every scenario of each family (default: all scenario files) and writes
 * fixtures/<family>.json. Replies marked `# redis72: …` are replaced by the
 * given Redis 7.2 reply and marked `"corrected": true` (the server's own reply
 * is kept under `valkey`). Re-recording gives the same file: see `canonical`.
 * Every scenario also runs on a second server process (whose hash seed, and so
 * KEYS/SCAN order, differs); replies that differ between the two without an
 * annotation that allows it stop the recording, so fixtures stay deterministic.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { isValkeyAvailable, startValkey } from '../helpers/valkey.js'
import {
  FIXTURE_DIR,
  canonical,
  fixturePath,
  formatFixture,
  listFamilies,
  loadFixture,
  loadScenarios,
  replyMatches,
  showReply,
  type Fixture,
  type FixtureStep,
} from './harness.js'
import { runOnServer, serverIdentity } from './server-runner.js'

async function main(): Promise<void> {
  const all = listFamilies()
  const families = process.argv.length > 2 ? process.argv.slice(2) : all
  for (const f of families) if (!all.includes(f)) throw new Error(`no scenario file scenarios/${f}.txt`)
  if (!isValkeyAvailable()) throw new Error('valkey-server is not on PATH')

  const server = await startValkey()
  const twin = await startValkey().catch(async (e: unknown) => {
    await server.stop()
    throw e
  })
  try {
    const identity = await serverIdentity(server)
    mkdirSync(FIXTURE_DIR, { recursive: true })
    for (const family of families) {
      const scenarios = loadScenarios(family)
      const old = loadFixture(family)
      const fixture: Fixture = { family, server: identity, scenarios: [] }
      let commands = 0
      let corrected = 0
      let needless = 0
      const unstable: string[] = []
      for (const scenario of scenarios) {
        const [replies, again] = await Promise.all([runOnServer(server, scenario), runOnServer(twin, scenario)])
        scenario.steps.forEach((step, i) => {
          const a = replies[i]
          const b = again[i]
          if (a !== undefined && b !== undefined && !replyMatches(a, b, step.ann)) {
            unstable.push(`  ${family}.txt:${step.line}: ${step.cmd}\n    ${showReply(a)}\n    ${showReply(b)}`)
          }
        })
        const prev = old?.scenarios.find((s) => s.name === scenario.name)
        const steps: FixtureStep[] = scenario.steps.map((step, i) => {
          const out: FixtureStep = { line: step.line, cmd: step.cmd }
          if (step.ann.length > 0) out.ann = step.ann
          const got = replies[i]
          if (got === undefined) return out
          commands++
          const before = prev?.commands[i]
          const sameCmd = before !== undefined && before.cmd === step.cmd
          const kept = canonical(got, step.ann, sameCmd ? (before.valkey ?? before.reply) : undefined)
          if (step.redis72 !== undefined) {
            corrected++
            if (replyMatches(got, step.redis72, step.ann)) {
              needless++
              console.warn(`  ${family}.txt:${step.line}: redis72 correction equals the server's reply ${showReply(got)}`)
            }
            out.reply = step.redis72
            out.corrected = true
            out.valkey = kept
          } else {
            out.reply = kept
          }
          return out
        })
        fixture.scenarios.push({ name: scenario.name, line: scenario.line, commands: steps })
      }
      if (unstable.length > 0) {
        throw new Error(
          `${family}: replies differ between two server processes; annotate them (# unordered, # any, …):\n` +
            unstable.join('\n'),
        )
      }
      writeFileSync(fixturePath(family), formatFixture(fixture))
      console.log(
        `${family}: ${scenarios.length} scenarios, ${commands} commands, ${corrected} corrected` +
          (needless > 0 ? ` (${needless} needlessly)` : '') +
          ` → ${fixturePath(family)}`,
      )
    }
  } finally {
    await Promise.all([server.stop(), twin.stop()])
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e)
  process.exitCode = 1
})
