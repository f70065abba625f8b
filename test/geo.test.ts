import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Store, type Effect } from '../src/index.js'

const fresh = () => new Store({ activeExpiry: false })

function sicily(s: Store): void {
  s.geoadd('Sicily', [
    { longitude: 13.361389, latitude: 38.115556, member: 'Palermo' },
    { longitude: 15.087269, latitude: 37.502669, member: 'Catania' },
  ])
}

describe('GEOADD and the sorted set underneath', () => {
  it('stores 52-bit geohash scores in a real sorted set', () => {
    const s = fresh()
    sicily(s)
    expect(s.type('Sicily')).toBe('zset')
    expect(s.call('ZRANGE', 'Sicily', '0', '-1', 'WITHSCORES')).toEqual(['Palermo', '3479099956230698', 'Catania', '3479447370796909'])
    expect(s.call('ZCARD', 'Sicily')).toBe(2)
    expect(s.geoadd('Sicily', [{ longitude: 13.361389, latitude: 38.115556, member: 'Palermo' }])).toBe(0)
    expect(s.geoadd('Sicily', [{ longitude: 13.5, latitude: 38.1, member: 'Palermo' }], { ch: true })).toBe(1)
    expect(s.geoadd('Sicily', [{ longitude: 1, latitude: 1, member: 'Palermo' }, { longitude: 1, latitude: 1, member: 'Noto' }], { nx: true })).toBe(1)
    expect(s.geoadd('Sicily', [{ longitude: 2, latitude: 2, member: 'Ragusa' }], { xx: true })).toBe(0)
    expect(s.call('ZREM', 'Sicily', 'Noto')).toBe(1)
    expect(s.geopos('Sicily', 'Noto')).toEqual([null])
  })

  it('refuses coordinates outside the Web Mercator range with Redis\'s message', () => {
    const s = fresh()
    expect(() => s.geoadd('g', [{ longitude: 200, latitude: 100, member: 'x' }])).toThrow('ERR invalid longitude,latitude pair 200.000000,100.000000')
    expect(() => s.geoadd('g', [{ longitude: 0, latitude: 85.06, member: 'x' }])).toThrow(/invalid longitude,latitude pair/)
    expect(() => s.geoadd('g', [{ longitude: 0, latitude: 0, member: 'x' }], { nx: true, xx: true })).toThrow('ERR syntax error')
    expect(s.exists('g')).toBe(0)
  })
})

describe('GEODIST, GEOHASH, GEOPOS', () => {
  it('matches the reference values', () => {
    const s = fresh()
    sicily(s)
    expect(s.geodist('Sicily', 'Palermo', 'Catania')).toBe(166274.1516)
    expect(s.geodist('Sicily', 'Palermo', 'Catania', 'km')).toBe(166.2742)
    expect(s.geodist('Sicily', 'Palermo', 'Catania', 'mi')).toBe(103.3182)
    expect(s.geodist('Sicily', 'Palermo', 'missing')).toBeNull()
    expect(s.geohash('Sicily', 'Palermo', 'Catania', 'missing')).toEqual(['sqc8b49rny0', 'sqdtr74hyu0', null])
    expect(s.call('GEOPOS', 'Sicily', 'Palermo')).toEqual([['13.36138933897018433', '38.11555639549629859']])
    const [pos] = s.geopos('Sicily', 'Palermo')
    expect(pos![0]).toBeCloseTo(13.361389, 5)
    expect(() => s.geodist('Sicily', 'Palermo', 'Catania', 'yd' as 'm')).toThrow('ERR unsupported unit provided. please use M, KM, FT, MI')
  })
})

describe('searches', () => {
  it('finds members by radius and box, sorted, counted and with details', () => {
    const s = fresh()
    sicily(s)
    expect(s.georadius('Sicily', 15, 37, 200, 'km')).toEqual(['Palermo', 'Catania'])
    expect(s.geosearch('Sicily', { longitude: 15, latitude: 37 }, { radius: 200, unit: 'km' }, { sort: 'ASC' })).toEqual(['Catania', 'Palermo'])
    expect(s.geosearch('Sicily', { longitude: 15, latitude: 37 }, { radius: 100, unit: 'km' })).toEqual(['Catania'])
    expect(s.geosearch('Sicily', { member: 'Palermo' }, { width: 400, height: 400, unit: 'km' }, { sort: 'DESC', count: 1 })).toEqual(['Catania'])
    expect(s.georadiusbymember('Sicily', 'Catania', 1, 'km')).toEqual(['Catania'])
    const r = s.geosearchWith('Sicily', { longitude: 15, latitude: 37 }, { width: 400, height: 400, unit: 'km' }, { sort: 'ASC' })
    expect(r.map((x) => [x.member, x.distance, x.hash])).toEqual([
      ['Catania', 56.4413, 3479447370796909],
      ['Palermo', 190.4424, 3479099956230698],
    ])
    expect(r[0]!.longitude).toBeCloseTo(15.087269, 5)
    expect(() => s.geosearch('Sicily', { member: 'nowhere' }, { radius: 1, unit: 'km' })).toThrow('ERR could not decode requested zset member')
    expect(() => s.geosearch('Sicily', { member: 'Palermo' }, { radius: 1, unit: 'km' }, { any: true })).toThrow('ERR the ANY argument requires COUNT argument')
    expect(s.geosearch('missing', { longitude: 0, latitude: 0 }, { radius: 1, unit: 'km' })).toEqual([])
  })

  it('stores results, by geohash or by distance, and deletes on an empty result', () => {
    const s = fresh()
    sicily(s)
    expect(s.geosearchstore('dst', 'Sicily', { longitude: 15, latitude: 37 }, { radius: 200, unit: 'km' }, { sort: 'ASC', storeDist: true })).toBe(2)
    const stored = s.call('ZRANGE', 'dst', '0', '-1', 'WITHSCORES') as string[]
    expect(stored[0]).toBe('Catania')
    expect(Number(stored[1])).toBeCloseTo(56.4413, 3)
    expect(s.geosearchstore('dst', 'Sicily', { longitude: 15, latitude: 37 }, { radius: 1, unit: 'km' })).toBe(0)
    expect(s.exists('dst')).toBe(0)
  })

  it('agrees with a brute-force scan of every member', () => {
    const s = fresh()
    const pts = Array.from({ length: 300 }, (_, i) => ({ longitude: ((i * 7919) % 1000) / 1000 - 0.5, latitude: ((i * 104729) % 1000) / 1000 - 0.5, member: `p${i}` }))
    s.geoadd('pts', pts)
    fc.assert(
      fc.property(
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 60, noNaN: true }),
        (lon, lat, km) => {
          const found = s.geosearchWith('pts', { longitude: lon, latitude: lat }, { radius: km, unit: 'km' }, { sort: 'ASC' })
          // Every member whose GEODIST-style distance to the centre is within the radius, by a margin that rounding cannot flip.
          const all = s.geosearchWith('pts', { longitude: lon, latitude: lat }, { radius: 20000, unit: 'km' })
          const inside = all.filter((x) => x.distance < km - 0.001).map((x) => x.member)
          const outside = all.filter((x) => x.distance > km + 0.001).map((x) => x.member)
          const got = new Set(found.map((x) => x.member))
          for (const m of inside) expect(got.has(m)).toBe(true)
          for (const m of outside) expect(got.has(m)).toBe(false)
          for (let i = 1; i < found.length; i++) expect(found[i]!.distance).toBeGreaterThanOrEqual(found[i - 1]!.distance)
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('effects', () => {
  it('replay GEOADD and GEOSEARCHSTORE as ZADD with exact scores', () => {
    const s = fresh()
    const fx: Effect[] = []
    s.onEffect((e) => fx.push(e))
    sicily(s)
    s.geosearchstore('near', 'Sicily', { member: 'Catania' }, { radius: 300, unit: 'km' }, { storeDist: true })
    expect(fx[0]!.argv[0]).toBe('ZADD')
    const r = fresh()
    for (const e of fx) r.call(String(e.argv[0]), ...e.argv.slice(1))
    expect(r.call('ZRANGE', 'near', '0', '-1', 'WITHSCORES')).toEqual(s.call('ZRANGE', 'near', '0', '-1', 'WITHSCORES'))
    expect(r.geopos('Sicily', 'Palermo')).toEqual(s.geopos('Sicily', 'Palermo'))
  })
})

describe('RESP3 coordinates', () => {
  it('prints GEOPOS doubles with the same digits as RESP2 (%.17Lf)', async () => {
    const { Store } = await import('../src/index.js')
    const { encodeReply } = await import('../src/protocol/resp.js')
    const store = new Store({ activeExpiry: false })
    const s = store.session()
    s.execute(['GEOADD', 'g', '13.361389', '38.115556', 'Palermo'])
    const r2 = encodeReply(s.execute(['GEOPOS', 'g', 'Palermo']) as never, 2).toString()
    s.resp = 3
    const r3 = encodeReply(s.execute(['GEOPOS', 'g', 'Palermo']) as never, 3).toString()
    expect(r2).toContain('$20\r\n13.36138933897018433\r\n')
    expect(r3).toContain(',13.36138933897018433\r\n')
    store.close()
  })
})
