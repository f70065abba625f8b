/**
 * Records the persistence fixtures from a real server (valkey-server):
 *   npx tsx test/persistence/record.ts
 * - fixtures/valkey.rdb + valkey-rdb.json: the dataset saved by SAVE, and its
 *   contents as a server loading that file reports them (encodings included);
 * - fixtures/valkey-aof/: an appendonlydir (base from BGREWRITEAOF, then an
 *   incremental file) + valkey-aof.json: its contents as a server loading it reports them;
 * - fixtures/valkey-dumps.json: DUMP payloads of every key, with TTLs, and the
 *   contents of a server that RESTOREd them.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startValkey, type RespClient } from '../helpers/valkey.js'
import { CONFIG_ARGS, contentsOf, datasetCommands, plain } from './dataset.js'
import { sleep } from '../helpers/wait.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const FIX = join(HERE, 'fixtures')

async function build(c: RespClient, cmds = datasetCommands()): Promise<void> {
  for (const argv of cmds) {
    const r = await c.send(argv)
    if (r.t === 'error') throw new Error(`${argv.join(' ')}: ${r.v}`)
  }
}

async function waitRewrite(c: RespClient): Promise<void> {
  for (;;) {
    const info = plain(await c.send(['INFO', 'persistence'])) as string
    if (/aof_rewrite_in_progress:0/.test(info) && !/aof_rewrite_scheduled:1/.test(info)) return
    await sleep(50)
  }
}

mkdirSync(FIX, { recursive: true })
const work = mkdtempSync(join(tmpdir(), 'embedis-record-'))

// RDB: SAVE, then the contents of a fresh server loading the file.
{
  const dir = join(work, 'rdb')
  mkdirSync(dir)
  const a = await startValkey([...CONFIG_ARGS, '--dir', dir])
  const c = await a.connect()
  await build(c)
  await c.send(['SAVE'])
  c.close()
  await a.stop()
  copyFileSync(join(dir, 'dump.rdb'), join(FIX, 'valkey.rdb'))
  const b = await startValkey([...CONFIG_ARGS, '--dir', dir])
  const d = await b.connect()
  writeFileSync(join(FIX, 'valkey-rdb.json'), JSON.stringify(await contentsOf((x) => d.send(x), { encodings: true })) + '\n')
  d.close()
  await b.stop()
}

// AOF: half the dataset, BGREWRITEAOF (an RDB base), the rest (an incremental file).
{
  const dir = join(work, 'aof')
  mkdirSync(dir)
  const a = await startValkey([...CONFIG_ARGS, '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'])
  const c = await a.connect()
  const cmds = datasetCommands()
  const half = Math.floor(cmds.length / 2)
  await build(c, cmds.slice(0, half))
  await c.send(['BGREWRITEAOF'])
  await waitRewrite(c)
  await build(c, [['SELECT', '0'], ...cmds.slice(half)])
  await build(c, [['SELECT', '0'], ['INCRBYFLOAT', 'fl', '1.5'], ['SPOP', 'set:lp'], ['MULTI'], ['INCR', 'tx'], ['INCR', 'tx'], ['EXEC']])
  c.close()
  await a.stop()
  rmSync(join(FIX, 'valkey-aof'), { recursive: true, force: true })
  cpSync(join(dir, 'appendonlydir'), join(FIX, 'valkey-aof', 'appendonlydir'), { recursive: true })
  const b = await startValkey([...CONFIG_ARGS, '--dir', dir, '--appendonly', 'yes'])
  const d = await b.connect()
  writeFileSync(join(FIX, 'valkey-aof.json'), JSON.stringify(await contentsOf((x) => d.send(x), { encodings: true, noConsumerTimes: true })) + '\n')
  d.close()
  await b.stop()
  console.log('aof files:', readdirSync(join(FIX, 'valkey-aof', 'appendonlydir')).join(', '))
}

// DUMP payloads, and what a server holds after RESTOREing them.
{
  const a = await startValkey(CONFIG_ARGS)
  const c = await a.connect()
  await build(c)
  const dumps: Array<{ db: number; key: string; pexpiretime: number; payload: string }> = []
  for (const db of [0, 3, 15]) {
    await c.send(['SELECT', String(db)])
    const keys = (await c.send(['KEYS', '*'])) as { t: 'array'; v: Array<{ t: 'bulk'; v: string; b64?: string }> }
    for (const k of keys.v) {
      const kb = k.b64 !== undefined ? Buffer.from(k.b64, 'base64') : Buffer.from(k.v, 'utf8')
      const p = (await c.send(['DUMP', kb])) as { t: 'bulk'; v: string; b64?: string }
      const payload = p.b64 !== undefined ? Buffer.from(p.b64, 'base64') : Buffer.from(p.v, 'utf8')
      dumps.push({ db, key: kb.toString('hex'), pexpiretime: Number(plain(await c.send(['PEXPIRETIME', kb]))), payload: payload.toString('hex') })
    }
  }
  await c.send(['FLUSHALL'])
  for (const d of dumps) {
    await c.send(['SELECT', String(d.db)])
    const argv = d.pexpiretime > 0 ? ['RESTORE', Buffer.from(d.key, 'hex'), String(d.pexpiretime), Buffer.from(d.payload, 'hex'), 'ABSTTL'] : ['RESTORE', Buffer.from(d.key, 'hex'), '0', Buffer.from(d.payload, 'hex')]
    const r = await c.send(argv)
    if (r.t === 'error') throw new Error(`RESTORE: ${r.v}`)
  }
  const contents = await contentsOf((x) => c.send(x), { encodings: true })
  writeFileSync(join(FIX, 'valkey-dumps.json'), JSON.stringify({ dumps, contents }) + '\n')
  c.close()
  await a.stop()
}

rmSync(work, { recursive: true, force: true })
console.log('fixtures written to', FIX)
