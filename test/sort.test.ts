import { describe, expect, it } from 'vitest'
import type { Store } from '../src/index.js'
import type { Effect } from '../src/keyspace/keyspace.js'
import { err, useStores } from './helpers/store.js'

const newStore = useStores()

function addSet(s: Store, key: string, members: string[]): void {
  s.call('SADD', key, ...members)
}

function addHash(s: Store, key: string, fields: Record<string, string>): void {
  s.call('HSET', key, ...Object.entries(fields).flat())
}

describe('sort() on lists', () => {
  it('sorts numerically, with order and limit', () => {
    const s = newStore()
    s.call('RPUSH', 'l', '3', '1', '2', '10', '-1.5')
    expect(s.sort('l')).toEqual(['-1.5', '1', '2', '3', '10'])
    expect(s.sort('l', { order: 'DESC' })).toEqual(['10', '3', '2', '1', '-1.5'])
    expect(s.sort('l', { limit: { offset: 1, count: 2 } })).toEqual(['1', '2'])
    expect(s.sort('l', { limit: { offset: -3, count: 1 } })).toEqual(['-1.5'])
    expect(s.sort('l', { limit: { offset: 10, count: 1 } })).toEqual([])
    expect(s.sortRo('l', { order: 'desc', limit: { offset: 0, count: 1 } })).toEqual(['10'])
    expect(s.sort('missing')).toEqual([])
  })

  it('ALPHA compares bytes; numbers refuse text', () => {
    const s = newStore()
    s.call('RPUSH', 'l', 'banana', 'Apple', 'cherry', '10', '9')
    expect(s.sort('l', { alpha: true })).toEqual(['10', '9', 'Apple', 'banana', 'cherry'])
    expect(err(() => s.sort('l'))).toBe("ERR One or more scores can't be converted into double")
  })

  it('BY nosort keeps the list order, LIMIT from either end', () => {
    const s = newStore()
    s.call('RPUSH', 'l', 'c', 'a', 'b', 'd')
    expect(s.sort('l', { by: 'nosort' })).toEqual(['c', 'a', 'b', 'd'])
    expect(s.sort('l', { by: 'nosort', order: 'DESC', limit: { offset: 1, count: 2 } })).toEqual(['b', 'a'])
  })

  it('BY and GET patterns, with hash fields and #', () => {
    const s = newStore()
    s.call('RPUSH', 'l', '1', '2', '3')
    s.call('MSET', 'w_1', '30', 'w_2', '10', 'w_3', '20', 'n_1', 'one', 'n_3', 'three')
    expect(s.sort('l', { by: 'w_*' })).toEqual(['2', '3', '1'])
    expect(s.sort('l', { by: 'w_*', get: ['#', 'n_*'] })).toEqual(['2', null, '3', 'three', '1', 'one'])
    addHash(s, 'h_1', { age: '5', name: 'ann' })
    addHash(s, 'h_2', { age: '50', name: 'bob' })
    addHash(s, 'h_3', { age: '7' })
    expect(s.sort('l', { by: 'h_*->age', order: 'DESC', get: ['h_*->name'] })).toEqual(['bob', null, 'ann'])
    expect(s.sort('l', { by: 'h_*->name', alpha: true })).toEqual(['3', '1', '2'])
    // A string where a hash is expected (and the reverse) reads as missing.
    expect(s.sort('l', { get: ['w_*->x', 'h_*'] })).toEqual([null, null, null, null, null, null])
  })

  it('a missing BY key sorts as 0, before others with ALPHA', () => {
    const s = newStore()
    s.call('RPUSH', 'l', 'a', 'b', 'c')
    s.call('MSET', 'k_a', '2', 'k_c', '-1')
    expect(s.sort('l', { by: 'k_*' })).toEqual(['c', 'b', 'a'])
    expect(s.sort('l', { by: 'k_*', alpha: true })).toEqual(['b', 'c', 'a'])
  })
})

describe('sort() on sets and sorted sets', () => {
  it('sets sort like lists; BY nosort with STORE sorts alphabetically', () => {
    const s = newStore()
    addSet(s, 's', ['3', '1', '2'])
    expect(s.sort('s')).toEqual(['1', '2', '3'])
    addSet(s, 't', ['b', 'c', 'a'])
    expect(s.sortStore('t', 'dst', { by: 'nosort' })).toBe(3)
    expect(s.call('LRANGE', 'dst', 0, -1)).toEqual(['a', 'b', 'c'])
  })

  it('sorted sets: BY nosort keeps score order, otherwise members are sorted', () => {
    const s = newStore()
    s.zadd('z', [[1, '30'], [2, '10'], [3, '20']])
    expect(s.sort('z')).toEqual(['10', '20', '30'])
    expect(s.sort('z', { by: 'nosort' })).toEqual(['30', '10', '20'])
    expect(s.sort('z', { by: 'nosort', order: 'DESC', limit: { offset: 1, count: 1 } })).toEqual(['10'])
    // SORT turns the value into a skiplist, as Redis does.
    expect(s.objectEncoding('z')).toBe('skiplist')
  })

  it('refuses strings and hashes', () => {
    const s = newStore()
    s.set('str', 'v')
    expect(err(() => s.sort('str'))).toMatch(/^WRONGTYPE/)
    addHash(s, 'h', { f: 'v' })
    expect(err(() => s.sortRo('h'))).toMatch(/^WRONGTYPE/)
  })
})

describe('SORT STORE', () => {
  it('stores a list, GET misses become empty strings, empty results delete', () => {
    const s = newStore()
    s.call('RPUSH', 'l', '2', '1')
    s.call('SET', 'v_1', 'one')
    expect(s.sortStore('l', 'dst', { get: ['v_*', '#'] })).toBe(4)
    expect(s.call('LRANGE', 'dst', 0, -1)).toEqual(['one', '1', '', '2'])
    expect(s.sortStore('l', 'dst', { limit: { offset: 5, count: 1 } })).toBe(0)
    expect(s.exists('dst')).toBe(0)
  })

  it('reports DEL + RPUSH and a sortstore event', () => {
    const s = newStore()
    s.call('RPUSH', 'l', '2', '1')
    const fx: string[][] = []
    const off = s.onEffect((e: Effect) => fx.push(e.argv.map(String)))
    const events: string[] = []
    s.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')
    s.ks.publish = (channel: string, message: string) => {
      if (channel.startsWith('__keyevent@')) events.push(`${channel.slice(channel.indexOf(':') + 1)} ${message}`)
      return 0
    }
    s.call('SORT', 'l', 'STORE', 'dst')
    s.call('SORT', 'l')
    s.call('SORT', 'l', 'LIMIT', '9', '9', 'STORE', 'dst')
    off()
    expect(fx).toEqual([['DEL', 'dst'], ['RPUSH', 'dst', '1', '2'], ['DEL', 'dst']])
    expect(events).toEqual(['sortstore dst', 'del dst'])
  })

  it('a conversion error stores nothing', () => {
    const s = newStore()
    s.call('RPUSH', 'l', '1', 'x')
    s.set('dst', 'keep')
    expect(err(() => s.call('SORT', 'l', 'STORE', 'dst'))).toBe("ERR One or more scores can't be converted into double")
    expect(s.get('dst')).toBe('keep')
  })
})

describe('SORT through the command table', () => {
  it('syntax errors come before the type check; SORT_RO has no STORE', () => {
    const s = newStore()
    s.set('str', 'v')
    expect(err(() => s.call('SORT', 'str', 'FOO'))).toBe('ERR syntax error')
    expect(err(() => s.call('SORT', 'str', 'LIMIT', 'x', '1'))).toBe('ERR value is not an integer or out of range')
    expect(err(() => s.call('SORT_RO', 'str', 'STORE', 'd'))).toBe('ERR syntax error')
    expect(err(() => s.call('SORT', 'str'))).toMatch(/^WRONGTYPE/)
  })

  it('COMMAND GETKEYS finds the key and the last STORE destination', () => {
    const s = newStore()
    expect(s.call('COMMAND', 'GETKEYS', 'SORT', 'k', 'BY', 'store', 'STORE', 'd', 'STORE', 'e')).toEqual(['k', 'e'])
    expect(s.call('COMMAND', 'GETKEYS', 'SORT', 'k', 'GET', 'store')).toEqual(['k'])
    expect(s.call('COMMAND', 'GETKEYS', 'SORT_RO', 'k', 'GET', '#')).toEqual(['k'])
  })

  it('replies nil for missing GET keys and keeps binary elements', () => {
    const s = newStore()
    const ff = Buffer.from([0xff, 0x01])
    s.call('RPUSH', 'l', ff, 'a')
    expect(s.callBuffer('SORT', 'l', 'ALPHA', 'GET', '#', 'GET', 'x_*')).toEqual([Buffer.from('a'), null, ff, null])
    s.call('SET', Buffer.concat([Buffer.from('x_'), ff]), 'bin')
    expect(s.call('SORT', 'l', 'ALPHA', 'GET', 'x_*')).toEqual([null, 'bin'])
  })
})

describe('SORT from scripts', () => {
  it('sorts a set even with BY nosort, as Redis does for scripts', async () => {
    const { Store } = await import('../src/index.js')
    const { lua } = await import('../src/scripting/index.js')
    const store = new Store({ activeExpiry: false, scripting: lua() })
    store.sadd('s', 'c', 'a', 'b', 'd', 'e')
    const r = store.call('EVAL', "return redis.call('SORT', KEYS[1], 'BY', 'nosort', 'ALPHA')", 1, 's')
    expect(r).toEqual(['a', 'b', 'c', 'd', 'e'])
    store.close()
  })
})
