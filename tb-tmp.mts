import { Bench } from 'tinybench'
import { Store } from './src/index.js'
const s = new Store()
const keys = Array.from({ length: 10000 }, (_, i) => `key:${i}`)
const v = 'v'.repeat(16)
for (const k of keys) s.set(k, v)
const m = new Map<string, string>()
for (const k of keys) m.set(k, v)
if (process.argv[2] === 'mock') { const { default: RedisMock } = await import('ioredis-mock'); const mock = new RedisMock(); for (const k of keys) await mock.set(k, v) }
if (process.argv[2] === 'call') { for (const k of keys) s.call('GET', k) }
if (process.argv[2] === 'setex') { for (const k of keys.slice(0,10)) s.set(k, v, {ex: 100}) }
let i = 0
const next = () => keys[(i = (i + 1) % 10000)]!
const b = new Bench({ time: 400, warmupTime: 100 })
b.add('map get', () => m.get(next()))
b.add('store get', () => s.get(next()))
await b.run()
for (const t of b.tasks) console.log(process.argv[2], t.name, ((t.result as any).throughput.mean/1e6).toFixed(2))
