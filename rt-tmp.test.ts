import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { it } from 'vitest'
import { rdbFile } from '../main/src/persistence/index.js'
import { attachPersistence } from '../main/src/persistence/adapter.js'
import { datasetCommands, newStore, sessionSender, tempDir } from './test/persistence/helpers.js'
it('x', () => {
  const dir = tempDir('own'); const path = join(dir, 'dump.rdb')
  const s = newStore({ persistence: rdbFile({ path }) })
  const send = sessionSender(s.session())
  for (const argv of datasetCommands()) send(argv)
  s.save()
  const img = readFileSync(path)
  const bad = Buffer.from(img); bad[7]! ^= 1
  writeFileSync(path, bad)
  const t = newStore()
  try { attachPersistence(t, rdbFile({ path })); console.log('LOADED', t.ks.dbs.map(d => d.size).join(',')) } catch (e) { console.log(String(e)) }
})
