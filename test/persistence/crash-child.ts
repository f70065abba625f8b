/**
 * Child process of the crash test: opens a store on an AOF directory and
 * writes until it is killed, printing `ack <n>` after each write returned.
 * Each write n sets `k<n>` to `v<n>`, increments `count` and pushes n to the
 * list `log`, in one MULTI/EXEC.
 *   node --import tsx crash-child.ts <dir> <fsync>
 */
import { Store } from '../../src/index.js'
import { aofFile, type FsyncPolicy } from '../../src/persistence/index.js'

const [dir, fsync] = process.argv.slice(2) as [string, FsyncPolicy]
const store = new Store({ activeExpiry: false, persistence: aofFile({ dir, fsync, onWarning: () => {} }) })
const s = store.session()
let n = Number(store.get('count') ?? 0)
process.stdout.write(`ready ${n}\n`)
const step = (): void => {
  for (let j = 0; j < 20; j++) {
    s.execute(['MULTI'])
    s.execute(['SET', `k${n}`, `v${n}`])
    s.execute(['INCR', 'count'])
    s.execute(['RPUSH', 'log', String(n)])
    const r = s.execute(['EXEC'])
    if (!Array.isArray(r)) throw new Error('EXEC failed')
    process.stdout.write(`ack ${n} ${Date.now()}\n`)
    n++
  }
  setImmediate(step)
}
step()
