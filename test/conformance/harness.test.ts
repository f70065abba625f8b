import { describe, expect, it } from 'vitest'
import type { Tagged } from '../../src/protocol/resp.js'
import {
  ScenarioFileError,
  canonical,
  commandArgv,
  formatFixture,
  listFamilies,
  loadFixture,
  loadScenarios,
  parseNotation,
  parseScenarios,
  replyMatches,
  showReply,
  splitAnnotation,
  staleness,
  type Fixture,
} from './harness.js'

const bulk = (v: string): Tagged => ({ t: 'bulk', v })
const int = (v: number): Tagged => ({ t: 'int', v: String(v) })
const arr = (...v: Tagged[]): Tagged => ({ t: 'array', v })

describe('scenario files', () => {
  it('splits off annotations only at an unquoted stand-alone #', () => {
    expect(splitAnnotation('TTL k  # ttl')).toEqual({ cmd: 'TTL k', ann: 'ttl' })
    expect(splitAnnotation('SET k "a # b"')).toEqual({ cmd: 'SET k "a # b"', ann: null })
    expect(splitAnnotation("SET k 'a # b' # any")).toEqual({ cmd: "SET k 'a # b'", ann: 'any' })
    expect(splitAnnotation('SET k a#b')).toEqual({ cmd: 'SET k a#b', ann: null })
    expect(splitAnnotation('SET k "x\\" # y"')).toEqual({ cmd: 'SET k "x\\" # y"', ann: null })
  })

  it('parses scenarios, steps, annotations and corrections', () => {
    const text = [
      '# comment',
      '### first',
      'SET k v',
      '',
      'KEYS *  # unordered skip-live',
      'SCAN 0 TYPE x  # redis72: ["0" []]',
      '@sleep 5',
      '### second',
      'GET "a b"',
    ].join('\n')
    const s = parseScenarios(text, 't.txt')
    expect(s.map((x) => x.name)).toEqual(['first', 'second'])
    expect(s[0]!.line).toBe(2)
    expect(s[0]!.steps).toEqual([
      { line: 3, cmd: 'SET k v', ann: [] },
      { line: 5, cmd: 'KEYS *', ann: ['unordered', 'skip-live'] },
      { line: 6, cmd: 'SCAN 0 TYPE x', ann: [], redis72: arr(bulk('0'), arr()) },
      { line: 7, cmd: '@sleep 5', ann: [] },
    ])
    expect(commandArgv(s[1]!.steps[0]!.cmd)).toEqual(['GET', 'a b'])
    expect(commandArgv('SET "\\xff" é')).toEqual(['SET', Buffer.from([0xff]), 'é'])
  })

  it('rejects malformed files with the line', () => {
    const bad = (text: string) => () => parseScenarios(text, 'f.txt')
    expect(bad('SET k v')).toThrow(/f.txt:1: command before/)
    expect(bad('### a\nGET k # sorted')).toThrow(/f.txt:2: unknown annotation 'sorted'/)
    expect(bad('### a\nGET "k')).toThrow(/unbalanced quotes/)
    expect(bad('### a\n### a')).toThrow(/duplicate scenario/)
    expect(bad('### a\n@wait 5')).toThrow(/unknown pseudo-command/)
    expect(bad('### a\nGET k # redis72: [1')).toThrow(ScenarioFileError)
  })

  it('every scenario file parses and has its fixture in step', () => {
    const families = listFamilies()
    expect(families).toEqual(expect.arrayContaining(['keys', 'server', 'strings']))
    for (const f of families) expect(staleness(loadScenarios(f), loadFixture(f), f)).toEqual([])
  })
})

describe('reply notation', () => {
  it('parses every form', () => {
    expect(parseNotation('+OK')).toEqual({ t: 'status', v: 'OK' })
    expect(parseNotation('-ERR syntax error')).toEqual({ t: 'error', v: 'ERR syntax error' })
    expect(parseNotation(':-12')).toEqual(int(-12))
    expect(parseNotation('nil')).toEqual({ t: 'nil' })
    expect(parseNotation('*nil')).toEqual({ t: 'nilarray' })
    expect(parseNotation('"a b"')).toEqual(bulk('a b'))
    expect(parseNotation('"\\xff"')).toEqual({ t: 'bulk', v: '\ufffd', b64: '/w==' })
    expect(parseNotation('[a :1 nil [] -"ERR x y" +"s t"]')).toEqual(
      arr(bulk('a'), int(1), { t: 'nil' }, arr(), { t: 'error', v: 'ERR x y' }, { t: 'status', v: 's t' }),
    )
    expect(() => parseNotation('[a')).toThrow(/unterminated/)
    expect(() => parseNotation(':x')).toThrow(/bad integer/)
    expect(() => parseNotation('a b')).toThrow(/unexpected text/)
  })

  it('shows replies in the same notation', () => {
    for (const text of ['+OK', '-ERR no such key', ':5', 'nil', '*nil', '["0" ["a" "\\xff\\r"]]', '[-"ERR a b" :1]']) {
      expect(showReply(parseNotation(text))).toBe(text)
    }
    expect(showReply({ t: 'int' } as Tagged)).toBe('<int>')
  })
})

describe('comparison', () => {
  it('is exact by default, bytes included', () => {
    expect(replyMatches(bulk('a'), bulk('a'))).toBe(true)
    expect(replyMatches(bulk('a'), bulk('b'))).toBe(false)
    expect(replyMatches(bulk('\ufffd'), { t: 'bulk', v: '\ufffd', b64: '/w==' })).toBe(false)
    expect(replyMatches(int(1), bulk('1'))).toBe(false)
    expect(replyMatches(arr(bulk('a'), bulk('b')), arr(bulk('b'), bulk('a')))).toBe(false)
    expect(replyMatches({ t: 'nil' }, { t: 'nilarray' })).toBe(false)
  })

  it('honours the annotations', () => {
    expect(replyMatches(arr(bulk('0'), arr(bulk('b'), bulk('a'))), arr(bulk('0'), arr(bulk('a'), bulk('b'))), ['unordered'])).toBe(true)
    expect(replyMatches(arr(bulk('a'), bulk('a')), arr(bulk('a'), bulk('b')), ['unordered'])).toBe(false)
    const pairs = arr(bulk('k1'), bulk('v1'), bulk('k2'), bulk('v2'))
    expect(replyMatches(arr(bulk('k2'), bulk('v2'), bulk('k1'), bulk('v1')), pairs, ['unordered-pairs'])).toBe(true)
    expect(replyMatches(arr(bulk('k1'), bulk('v2'), bulk('k2'), bulk('v1')), pairs, ['unordered-pairs'])).toBe(false)
    expect(replyMatches(int(99), int(100), ['ttl'])).toBe(true)
    expect(replyMatches(int(98), int(100), ['ttl'])).toBe(false)
    expect(replyMatches(int(99_100), int(100_000), ['pttl'])).toBe(true)
    expect(replyMatches(int(98_000), int(100_000), ['pttl'])).toBe(false)
    expect(replyMatches(arr(bulk('1'), bulk('2')), { t: 'array' } as Tagged, ['any'])).toBe(true)
    expect(replyMatches(bulk('1'), { t: 'array' } as Tagged, ['any'])).toBe(false)
  })

  it('stores canonical, re-recordable replies', () => {
    expect(canonical(arr(bulk('1'), bulk('2')), ['any'])).toEqual({ t: 'array' })
    expect(canonical(arr(bulk('0'), arr(bulk('b'), bulk('a'))), ['unordered'])).toEqual(arr(bulk('0'), arr(bulk('a'), bulk('b'))))
    expect(canonical(int(99), ['ttl'], int(100))).toEqual(int(100))
    expect(canonical(int(90), ['ttl'], int(100))).toEqual(int(90))
    expect(canonical(int(7), [], int(8))).toEqual(int(7))
  })

  it('writes fixtures that read back unchanged', () => {
    const f: Fixture = {
      family: 'x',
      server: 's',
      scenarios: [{ name: 'n', line: 1, commands: [{ line: 2, cmd: 'GET "a"', reply: bulk('é') }, { line: 3, cmd: '@sleep 1' }] }],
    }
    expect(JSON.parse(formatFixture(f))).toEqual(f)
  })
})
