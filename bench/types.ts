/**
 * Streams, HyperLogLog and geo: embedis typed methods against a real server
 * over loopback (ioredis), measured in one run. Ratios are embedis / server.
 *
 * XADD, XRANGE of 10, XREADGROUP + XACK (one entry read and acknowledged),
 * PFADD, PFCOUNT (cached and of two keys), GEOADD, GEOSEARCH returning 10.
 */
import { Store } from '../src/index.js'
import { printTable, realServerClient, runRows, type Row } from './lib.js'

type Real = {
  xadd(...a: unknown[]): Promise<unknown>
  xrange(...a: unknown[]): Promise<unknown>
  xgroup(...a: unknown[]): Promise<unknown>
  xreadgroup(...a: unknown[]): Promise<unknown>
  xack(...a: unknown[]): Promise<unknown>
  pfadd(...a: unknown[]): Promise<unknown>
  pfcount(...a: unknown[]): Promise<unknown>
  geoadd(...a: unknown[]): Promise<unknown>
  geosearch(...a: unknown[]): Promise<unknown>
  flushall(): Promise<unknown>
  quit(): Promise<unknown>
}

const POINTS = 10_000

/** A deterministic spread of points around Paris (about 20 km across). */
function point(i: number): [number, number] {
  const a = (i * 2654435761) % 1000000
  const b = (i * 40503) % 1000000
  return [2.2 + (a / 1000000) * 0.3, 48.75 + (b / 1000000) * 0.2]
}

export async function benchTypes(opts: { time?: number } = {}): Promise<Map<string, Map<string, number>>> {
  const store = new Store({ activeExpiry: false })
  const srv = await realServerClient()
  const real = srv?.client as Real | undefined

  // Data: a stream of 10k entries, HLLs, and a geo set of 10k points.
  for (let i = 0; i < 10_000; i++) store.xadd('log', '*', { n: i })
  store.xgroupCreate('q', 'g', '$', { mkStream: true })
  for (let i = 0; i < 5000; i++) store.pfadd('hll', `u${i}`)
  for (let i = 0; i < 5000; i++) store.pfadd('hll2', `w${i}`)
  const geo = Array.from({ length: POINTS }, (_, i) => {
    const [longitude, latitude] = point(i)
    return { longitude, latitude, member: `p${i}` }
  })
  store.geoadd('geo', geo)
  if (real) {
    for (let i = 0; i < 10_000; i += 500) {
      const batch: Promise<unknown>[] = []
      for (let j = i; j < i + 500; j++) batch.push(real.xadd('log', '*', 'n', String(j)))
      await Promise.all(batch)
    }
    await real.xgroup('CREATE', 'q', 'g', '$', 'MKSTREAM')
    await real.pfadd('hll', ...Array.from({ length: 5000 }, (_, i) => `u${i}`))
    await real.pfadd('hll2', ...Array.from({ length: 5000 }, (_, i) => `w${i}`))
    await real.geoadd('geo', ...geo.flatMap((g) => [g.longitude, g.latitude, g.member]))
  }

  // A radius holding at least 10 points around the centre of the spread; COUNT 10 returns the closest 10.
  const centre = { longitude: 2.35, latitude: 48.85 }
  let radius = 0.05
  while (store.geosearch('geo', centre, { radius, unit: 'km' }).length < 10) radius *= 1.2

  let i = 0
  let seq = 0
  const rows: Row[] = [
    {
      op: 'XADD',
      impls: {
        embedis: () => store.xadd('s', '*', { f: 'v' }),
        ...(real ? { 'real server': () => real!.xadd('s', '*', 'f', 'v') } : {}),
      },
    },
    {
      op: 'XRANGE of 10',
      impls: {
        embedis: () => store.xrange('log', '-', '+', { count: 10 }),
        ...(real ? { 'real server': () => real!.xrange('log', '-', '+', 'COUNT', 10) } : {}),
      },
    },
    {
      op: 'XREADGROUP + XACK',
      impls: {
        embedis: () => {
          store.xadd('q', '*', { job: seq++ })
          const r = store.xreadgroup('g', 'worker', { q: '>' }, { count: 1 })
          return store.xack('q', 'g', r![0]!.entries[0]!.id)
        },
        ...(real
          ? {
              'real server': async () => {
                await real!.xadd('q', '*', 'job', String(seq++))
                const r = (await real!.xreadgroup('GROUP', 'g', 'worker', 'COUNT', 1, 'STREAMS', 'q', '>')) as [string, [string, string[]][]][]
                return real!.xack('q', 'g', r[0]![1][0]![0])
              },
            }
          : {}),
      },
    },
    {
      op: 'PFADD',
      impls: {
        embedis: () => store.pfadd('hll', `x${i++ % 100000}`),
        ...(real ? { 'real server': () => real!.pfadd('hll', `x${i++ % 100000}`) } : {}),
      },
    },
    {
      op: 'PFCOUNT (cached)',
      impls: {
        embedis: () => store.pfcount('hll'),
        ...(real ? { 'real server': () => real!.pfcount('hll') } : {}),
      },
    },
    {
      op: 'PFCOUNT of 2 keys',
      impls: {
        embedis: () => store.pfcount('hll', 'hll2'),
        ...(real ? { 'real server': () => real!.pfcount('hll', 'hll2') } : {}),
      },
    },
    {
      op: 'GEOADD',
      impls: {
        embedis: () => {
          const [longitude, latitude] = point(i++)
          return store.geoadd('geo2', [{ longitude, latitude, member: `m${i % 50000}` }])
        },
        ...(real
          ? {
              'real server': () => {
                const [lon, lat] = point(i++)
                return real!.geoadd('geo2', lon, lat, `m${i % 50000}`)
              },
            }
          : {}),
      },
    },
    {
      op: 'GEOSEARCH of 10',
      impls: {
        embedis: () => store.geosearch('geo', centre, { radius, unit: 'km' }, { sort: 'ASC', count: 10 }),
        ...(real
          ? { 'real server': () => real!.geosearch('geo', 'FROMLONLAT', centre.longitude, centre.latitude, 'BYRADIUS', radius, 'km', 'ASC', 'COUNT', 10) }
          : {}),
      },
    },
  ]
  const res = await runRows(rows, opts)
  printTable('Streams, HyperLogLog, geo: throughput (ratios to the real server)', res, real ? 'real server' : 'embedis')
  store.close()
  await srv?.close()
  return res
}
