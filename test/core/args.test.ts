import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { kw, numArg } from '../../src/commands/args.js'

describe('kw', () => {
  it('upper-cases exactly as toUpperCase does, strings and latin1 Buffers alike', () => {
    expect(kw('ex')).toBe('EX')
    expect(kw('EX')).toBe('EX')
    expect(kw('eX')).toBe('EX')
    expect(kw('straße')).toBe('STRASSE')
    expect(kw(Buffer.from('keepttl'))).toBe('KEEPTTL')
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('NX', 'xx', 'Get', 'PXAT', '~', '`')), (s) => kw(s) === s.toUpperCase()),
      { numRuns: 3000 },
    )
    fc.assert(fc.property(fc.uint8Array(), (b) => kw(Buffer.from(b)) === Buffer.from(b).toString('latin1').toUpperCase()))
  })
})

describe('numArg', () => {
  it('writes integers in full (exact past 2^53, no exponent below 1e21) and other numbers as String does', () => {
    expect(numArg(2 ** 60)).toBe('1152921504606846976')
    expect(numArg(12n ** 20n)).toBe('3833759992447475122176')
    expect(numArg(1.5)).toBe('1.5')
    expect(numArg(-0)).toBe('0')
  })
})
