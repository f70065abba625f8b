import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { Store } from '../../src/index.js'
import { lua } from '../../src/scripting/index.js'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fengari, formatG, formatLuaNumber, rewriteSource, toFixedC, toExponentialC } from '../../src/scripting/fengari.js'
import { numberToArg, numberToInteger } from '../../src/scripting/convert.js'
import { crc64, dumpFunctions, lzfDecompress, readFunctionsPayload } from '../../src/scripting/rdb-functions.js'
import { isValkeyAvailable, startValkey, type ValkeyServer } from '../helpers/valkey.js'

const store = new Store({ scripting: lua() })
// 64-bit integers as numbers (msgpackr's default is BigInt for them).
const msgUnpack = (b: Buffer): unknown => new Packr({ useRecords: false, int64AsType: 'number' }).unpack(b)
afterAll(() => store.close())

describe('cmsgpack and JavaScript MessagePack', () => {
  it('unpacks what msgpackr packs (BullMQ packs job options this way)', () => {
    const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true })
    const value = { attempts: 3, backoff: { type: 'fixed', delay: 1500 }, delay: 0, big: 2 ** 40, neg: -70000, f: 1.25, s: 'x'.repeat(300), list: [1, 'two', false, null] }
    const packed = packr.pack(value)
    const r = store.eval(
      'local t = cmsgpack.unpack(ARGV[1]) return {t.attempts, t.backoff.type, t.backoff.delay, t.big, t.neg, tostring(t.f), #t.s, t.list[2], tostring(t.list[3]), tostring(t.list[4])}',
      [],
      [packed],
    )
    expect(r).toEqual([3, 'fixed', 1500, 2 ** 40, -70000, '1.25', 300, 'two', 'false', 'nil'])
  })

  it('packs what msgpackr unpacks', () => {
    const packed = store.eval("return cmsgpack.pack({a = 1, b = {1, 2, 3}, c = 'str', d = -1.5, e = 2^40, f = true})", [], [], { buffers: true }) as unknown as Buffer
    expect(msgUnpack(packed)).toEqual({ a: 1, b: [1, 2, 3], c: 'str', d: -1.5, e: 2 ** 40, f: true })
  })

  it('round-trips random values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string()), { maxLength: 8 }),
        (arr) => {
          const packed = new Packr({ useRecords: false }).pack(arr)
          const back = store.eval('return cmsgpack.pack(cmsgpack.unpack(ARGV[1]))', [], [packed], { buffers: true }) as unknown as Buffer
          const a = msgUnpack(back) as unknown[]
          expect(a.length).toBe(arr.length)
          a.forEach((v, i) => {
            const want = arr[i]
            if (typeof want === 'number') expect(Object.is(v, want) || v === want).toBe(true)
            else expect(v).toBe(want)
          })
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('number formatting', () => {
  // An exact reference for C's %.Nf: the double's exact value as a fraction of powers of 2.
  function exactFixed(x: number, p: number): string {
    const neg = x < 0 || Object.is(x, -0)
    const buf = new DataView(new ArrayBuffer(8))
    buf.setFloat64(0, Math.abs(x))
    const bits = buf.getBigUint64(0)
    const exp = Number((bits >> 52n) & 0x7ffn)
    let mant = bits & ((1n << 52n) - 1n)
    let e2: number
    if (exp === 0) e2 = -1074
    else {
      mant |= 1n << 52n
      e2 = exp - 1075
    }
    // value = mant * 2^e2; scaled = value * 10^p, rounded half to even.
    let num = mant * 10n ** BigInt(p)
    let den = 1n
    if (e2 >= 0) num <<= BigInt(e2)
    else den <<= BigInt(-e2)
    let q = num / den
    const r = num % den
    if (r * 2n > den || (r * 2n === den && q % 2n === 1n)) q++
    let digits = q.toString().padStart(p + 1, '0')
    if (p > 0) digits = digits.slice(0, -p) + '.' + digits.slice(-p)
    return (neg ? '-' : '') + digits
  }

  it('toFixedC rounds exact ties to even, like glibc', () => {
    expect(toFixedC(2.5, 0)).toBe('2')
    expect(toFixedC(3.5, 0)).toBe('4')
    expect(toFixedC(0.125, 2)).toBe('0.12')
    expect(toFixedC(-2.5, 0)).toBe('-2')
    fc.assert(
      fc.property(fc.double({ min: -1e15, max: 1e15, noNaN: true }), fc.integer({ min: 0, max: 20 }), (x, p) => {
        expect(toFixedC(x, p)).toBe(exactFixed(x, p))
      }),
      { numRuns: 2000 },
    )
    // Halves of small integers are exact ties at every precision.
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 1, max: 6 }), (n, k) => {
        const x = n / 2 ** k
        for (let p = 0; p < k; p++) expect(toFixedC(x, p)).toBe(exactFixed(x, p))
      }),
    )
  })

  it('toExponentialC keeps the digits toExponential gives except on exact ties', () => {
    expect(toExponentialC(12345, 3)).toEqual({ mant: '1.234', exp: 4 })
    expect(toExponentialC(12355, 3)).toEqual({ mant: '1.236', exp: 4 })
    expect(toExponentialC(1.5, 0)).toEqual({ mant: '2', exp: 0 })
    expect(toExponentialC(2.5, 0)).toEqual({ mant: '2', exp: 0 })
  })

  it('formats like %.14g and reads back within 14 significant digits', () => {
    expect([2 ** 53, 1e15, 1e-7, 10 / 2, 0.1, 1 / 3, -0].map(formatLuaNumber)).toEqual([
      '9.007199254741e+15',
      '1e+15',
      '1e-07',
      '5',
      '0.1',
      '0.33333333333333',
      '-0',
    ])
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = formatLuaNumber(x)
        const back = Number(s)
        if (x === 0) expect(Object.is(back, x)).toBe(true)
        else expect(Math.abs(back - x) / Math.abs(x)).toBeLessThan(1e-13)
        expect(s).not.toMatch(/\.$|e[+-]\d$|\.0+e|\.\d*0e/)
      }),
    )
  })

  it('takes the shortest text when it is what %.14g writes, and the exact rounding otherwise', () => {
    const cases = [1.5, -0.25, 0.0001234, 0.00001234, 12345678901234.5, 1234567890123.5, 0.1 + 0.2, 1 / 3, 1e21 / 3]
    expect(cases.map(formatLuaNumber)).toEqual(cases.map((x) => formatG(x, 14)))
    expect(formatLuaNumber(0.0001234)).toBe('0.0001234')
    expect(formatLuaNumber(0.00001234)).toBe('1.234e-05')
    expect(formatLuaNumber(12345678901234.5)).toBe('12345678901234')
    // Short decimals (what scripts mostly hold) and arbitrary doubles, against the exact rounding.
    const short = fc.tuple(fc.integer({ min: -1e15, max: 1e15 }), fc.integer({ min: 0, max: 20 })).map(([m, e]) => m / 10 ** e)
    fc.assert(fc.property(fc.oneof(short, fc.double({ noNaN: true, noDefaultInfinity: true })), (x) => formatLuaNumber(x) === (x === 0 ? (Object.is(x, -0) ? '-0' : '0') : formatG(x, 14))), { numRuns: 20000 })
  })

  it('converts numbers for redis.call and for replies as Redis does', () => {
    expect([100000000, 0.1, 1e20, 2 ** 63, -0, 123456789.123, 0.000001, 1e-7].map(numberToArg)).toEqual([
      '100000000',
      '0.1',
      '1e+20',
      '9223372036854776000',
      '0',
      '123456789.123',
      '0.000001',
      '1e-7',
    ])
    expect([3.99, -3.99, -0.5, 1e20, NaN, Infinity].map(numberToInteger)).toEqual([3, -3, 0, -9223372036854775808n, -9223372036854775808n, -9223372036854775808n])
    fc.assert(
      fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(numberToArg(n)).toBe(String(n === 0 ? 0 : n))
      }),
    )
  })
})

describe('the private fengari instance', () => {
  it('empties stack slots by storing undefined, not with delete, and leaves fengari itself as it is', () => {
    expect(rewriteSource('  delete L.stack[--L.top];\n delete L.stack[i];\n delete g.mainthread.stack[x + 1];\n delete t[k];')).toBe(
      '  L.stack[--L.top] = undefined;\n L.stack[i] = undefined;\n g.mainthread.stack[x + 1] = undefined;\n delete t[k];',
    )
    expect(rewriteSource('    t.dead_strong.clear();\n')).toBe('    if (t.dead_strong.size !== 0) t.dead_strong.clear();\n')
    // Each rule finds what it rewrites in fengari as installed (the rules would go stale silently otherwise).
    const src = (f: string) => readFileSync(createRequire(import.meta.url).resolve(`fengari/src/${f}`), 'utf8')
    for (const f of ['ldo.js', 'lapi.js', 'ltable.js', 'lstate.js', 'defs.js']) expect(rewriteSource(src(f))).not.toBe(src(f))
    expect(rewriteSource(src('defs.js'))).toContain('luastring_from = (a) => new Uint8Array(a);')
    expect(rewriteSource(src('lstate.js'))).toMatch(/let ci = L\.ci\.next;\n\s*if \(ci !== null\) \{ L\.ci = ci; return ci; \}/)
    expect(rewriteSource(src('ldo.js'))).not.toMatch(/L\.ci = ci\.previous;\s*L\.ci\.next = null;/)
    expect(rewriteSource(src('ltable.js'))).not.toMatch(/^\s*t\.dead_strong\.clear\(\)/m)
    expect(rewriteSource(src('ldo.js'))).not.toMatch(/delete \S*stack\[/)
    // The same calls on the private instance and on fengari as published: the slots they used stay
    // in the array (holding undefined) on the one, and are deleted on the other.
    const used = (f: any): number => {
      const L = f.lauxlib.luaL_newstate()
      f.lualib.luaL_openlibs(L)
      expect(f.lauxlib.luaL_dostring(L, f.to_luastring('local function f(a, b) local c = a + b return c end for i = 1, 10 do f(i, i) end'))).toBe(0)
      f.lua.lua_settop(L, 0)
      const stack = L.stack as unknown[]
      expect(stack.slice(L.top).every((v) => v === undefined)).toBe(true)
      return Object.keys(stack).length
    }
    const plain = createRequire(import.meta.url)('fengari')
    expect(used(fengari())).toBeGreaterThan(used(plain))
  })
})

describe('FUNCTION DUMP format', () => {
  it('uses the CRC-64/Jones checksum Redis uses', () => {
    expect(crc64(Buffer.from('123456789')).toString(16)).toBe('e9c6d914c4b8d9ca')
  })

  it('reads its own dumps and rejects truncated ones', () => {
    const codes = [Buffer.from('#!lua name=a\nreturn 1'), Buffer.from('#!lua name=b\n' + '-- long\n'.repeat(3000))]
    const dump = dumpFunctions(codes)
    const back = readFunctionsPayload(dump) as Uint8Array[]
    expect(back.map((b) => Buffer.from(b).toString())).toEqual(codes.map((c) => c.toString()))
    expect(readFunctionsPayload(dump.subarray(0, 9))).toBe('DUMP payload version or checksum are wrong')
  })

  it('decompresses LZF', () => {
    // "abcabcabc": literal "abc" then a back-reference of length 6 at distance 3.
    expect(Buffer.from(lzfDecompress(Uint8Array.from([2, 97, 98, 99, 0x80, 2]), 9)).toString()).toBe('abcabcabc')
  })
})

describe.skipIf(!isValkeyAvailable())('against the reference server', () => {
  let server: ValkeyServer
  beforeAll(async () => {
    server = await startValkey()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('tostring, string.format and redis.call arguments format random numbers identically', async () => {
    const client = await server.connect()
    const script =
      'local out = {} for i = 1, #ARGV do local x = tonumber(ARGV[i]) ' +
      'out[#out + 1] = tostring(x) out[#out + 1] = string.format("%.3f|%g|%.10e|%5.1f|%d", x, x, x, x, x) ' +
      'redis.call("SET", "n", x) out[#out + 1] = redis.call("GET", "n") out[#out + 1] = cjson.encode(x) end return out'
    const gen = fc.oneof(
      fc.double({ min: -1e12, max: 1e12, noNaN: true }),
      fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 8),
      fc.double({ min: -1e-3, max: 1e-3, noNaN: true }),
    )
    const samples = fc.sample(gen, 300).map((x) => (Object.is(x, -0) ? 0 : x))
    const argv = samples.map((x) => x.toPrecision(17))
    const theirs = await client.send(['EVAL', script, '0', ...argv])
    const ours = store.eval(script, [], argv)
    client.close()
    expect(theirs.t).toBe('array')
    const values = (theirs as { v: Array<{ v: string }> }).v.map((x) => x.v)
    // Grisu2 (Redis) and the shortest representation (JS) differ for ~0.1% of doubles in
    // redis.call arguments (lua.md §4); everything else must match exactly.
    const diffs = (ours as string[]).filter((v, i) => v !== values[i] && i % 4 !== 2)
    expect(diffs).toEqual([])
    const argDiffs = (ours as string[]).filter((v, i) => v !== values[i] && i % 4 === 2)
    expect(argDiffs.length).toBeLessThanOrEqual(3)
  })
})
