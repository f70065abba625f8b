import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fb2int, hashString51 } from '../../src/scripting/table51.js'
import { lua } from '../../src/scripting/index.js'
import { useStores } from '../helpers/store.js'

const newStore = useStores({ scripting: lua() })

/** A key as Lua source: strings short and long, integers in and beyond an array part, floats, booleans. */
const keyArb = fc.oneof(
  fc.constantFrom("'a'", "'b'", "'id'", "'name'", "'k1'", "'k10'", "'status'"),
  fc.integer({ min: 1, max: 40 }).map((n) => `'${'x'.repeat(n)}'`),
  fc.integer({ min: 1, max: 24 }).map(String),
  fc.integer({ min: -1000, max: 1000 }).map((n) => String(n / 4)),
  fc.constantFrom('true', 'false', '2^40', '-0.5'),
)
const opArb = fc.oneof(
  fc.tuple(keyArb, fc.integer({ min: 1, max: 99 })).map(([k, v]) => `t[${k}] = ${v}`),
  keyArb.map((k) => `t[${k}] = nil`),
  fc.integer({ min: 1, max: 99 }).map((v) => `t[#t + 1] = ${v}`),
  fc.constant("for k in pairs(t) do if type(k) ~= 'string' then t[k] = nil end end"),
)
const ctorArb = fc
  .array(fc.oneof(fc.integer({ min: 1, max: 9 }).map(String), fc.tuple(keyArb, fc.integer({ min: 1, max: 9 })).map(([k, v]) => `[${k}] = ${v}`)), {
    maxLength: 6,
  })
  .map((f) => `{${f.join(', ')}}`)

describe('Lua tables laid out as Lua 5.1 lays them out', () => {
  it('hashes strings as Redis 7.2 does (every byte, seeded with the length)', () => {
    expect(hashString51(new Uint8Array(0))).toBe(0)
    // h = 1; h ^= (h << 5) + (h >> 2) + 97 → 1 ^ 129
    expect(hashString51(Buffer.from('a'))).toBe(1 ^ (32 + 0 + 97))
    // A long string's hash reads its first bytes too (5.1 itself would skip every other byte past 32).
    const a = Buffer.from('x'.repeat(40))
    const b = Buffer.from('y' + 'x'.repeat(39))
    expect(hashString51(a)).not.toBe(hashString51(b))
  })

  it('decodes constructor sizes as luaO_fb2int', () => {
    expect([0, 1, 7, 8, 9, 15, 16, 17, 18].map(fb2int)).toEqual([0, 1, 7, 8, 9, 15, 16, 18, 20])
  })

  it('visits every live key exactly once, keeps its place across deletions, and gives a border for #', async () => {
    const store = newStore()
    await fc.assert(
      fc.asyncProperty(ctorArb, fc.array(opArb, { maxLength: 30, size: 'max' }), async (ctor, ops) => {
        // The script checks the traversal against a reference count kept with rawget over a key log.
        const src = `local t = ${ctor} ${ops.join(' ')}
          local seen, n = {}, 0
          for k, v in pairs(t) do
            if seen[k] then return 'twice: ' .. tostring(k) end
            if rawget(t, k) ~= v then return 'wrong value at ' .. tostring(k) end
            seen[k] = true n = n + 1
          end
          local live = 0
          local k = next(t)
          while k ~= nil do live = live + 1 k = next(t, k) end
          local l = #t
          if l > 0 and t[l] == nil then return 'not a border: ' .. l end
          if t[l + 1] ~= nil then return 'not a border: ' .. l end
          local first = {} for k in pairs(t) do first[#first + 1] = tostring(k) end
          local again = {} for k in pairs(t) do again[#again + 1] = tostring(k) end
          if table.concat(first, ',') ~= table.concat(again, ',') then return 'order changed' end
          for k in pairs(t) do t[k] = nil end
          if next(t) ~= nil then return 'not emptied' end
          return n == live and 'ok' or ('count ' .. n .. ' vs ' .. live)`
        expect(store.call('EVAL', src, 0)).toBe('ok')
      }),
      { numRuns: 300 },
    )
  })

  it('orders keys as Redis does (recorded from valkey-server: see scenarios/scripting.txt)', () => {
    const store = newStore()
    const order = store.call('EVAL', "local t = {} for i = 1, 12 do t['k' .. i] = i end t.x = 1 t[3.5] = 2 t[100] = 3 local o = {} for k in pairs(t) do o[#o + 1] = tostring(k) end return table.concat(o, ' ')", 0)
    expect(order).toBe('k12 3.5 k9 k8 k1 k3 k2 100 x k10 k11 k6 k7 k4 k5')
    expect(store.call('EVAL', 'return cjson.encode({alpha = 1, beta = 2, gamma = 3, delta = 4})', 0)).toBe('{"delta":4,"beta":2,"alpha":1,"gamma":3}')
    // Setting nil to an absent key still takes a node in 5.1, which moves where later keys land.
    expect(store.call('EVAL', "local t = {a = 1, b = 2, c = 3, d = 4, e = 5} t.c = nil t.f = 6 t.zz = nil t.g = 7 local o = {} for k, v in pairs(t) do o[#o + 1] = k .. '=' .. v end return o", 0)).toEqual([
      'a=1', 'b=2', 'e=5', 'd=4', 'g=7', 'f=6',
    ])
    expect(store.call('EVAL', 'return {#{1, 2, nil, 4}, #{nil, nil, 3}, #{1, 2, 3, nil, 5, nil, nil, 8}}', 0)).toEqual([4, 3, 8])
    expect(() => store.call('EVAL', "return next({1, 2}, 'nokey')", 0)).toThrow("invalid key to 'next'")
  })
})
