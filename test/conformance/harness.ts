/**
 * Conformance harness: scenario files, fixtures, the compact reply notation,
 * and reply comparison honouring annotations. See README.md in this folder.
 */
import { isUtf8 } from 'node:buffer'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { splitInlineArgs, type Tagged } from '../../src/protocol/resp.js'

export const ROOT = dirname(fileURLToPath(import.meta.url))
export const SCENARIO_DIR = join(ROOT, 'scenarios')
export const FIXTURE_DIR = join(ROOT, 'fixtures')

/** Annotations a command line may carry after ` # `. */
export const ANNOTATIONS = ['unordered', 'unordered-pairs', 'ttl', 'pttl', 'any', 'skip-live'] as const
export type Annotation = (typeof ANNOTATIONS)[number]

/** Tolerances of the numeric annotations. */
const TOLERANCE: Partial<Record<Annotation, number>> = { ttl: 1, pttl: 1000 }

export interface Step {
  /** 1-based line in the scenario file. */
  line: number
  /** The command as written (without its annotation). */
  cmd: string
  ann: Annotation[]
  /** The Redis 7.2 reply given with `# redis72: …`, when the reference server differs. */
  redis72?: Tagged
}

export interface Scenario {
  name: string
  line: number
  steps: Step[]
}

export interface FixtureStep {
  line: number
  cmd: string
  ann?: Annotation[]
  /** The reply Redis 7.2 gives (absent for pseudo-commands such as `@sleep`). */
  reply?: Tagged
  /** Set when `reply` was corrected by hand; `valkey` then holds what the reference server sent. */
  corrected?: true
  valkey?: Tagged
}

export interface FixtureScenario {
  name: string
  line: number
  commands: FixtureStep[]
}

export interface Fixture {
  family: string
  server: string
  scenarios: FixtureScenario[]
}

export class ScenarioFileError extends Error {
  override name = 'ScenarioFileError'
}

// ---------------------------------------------------------------------------
// Scenario files
// ---------------------------------------------------------------------------

const isBlank = (c: string | undefined): boolean => c === undefined || /\s/.test(c)

/** Splits a line at its first unquoted stand-alone `#` into the command and the annotation text. */
export function splitAnnotation(line: string): { cmd: string; ann: string | null } {
  let inq = false
  let insq = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (inq) {
      if (c === '\\') i++
      else if (c === '"') inq = false
    } else if (insq) {
      if (c === '\\' && line[i + 1] === "'") i++
      else if (c === "'") insq = false
    } else if (c === '"') {
      inq = true
    } else if (c === "'") {
      insq = true
    } else if (c === '#' && isBlank(line[i - 1]) && isBlank(line[i + 1])) {
      return { cmd: line.slice(0, i).trim(), ann: line.slice(i + 1).trim() }
    }
  }
  return { cmd: line.trim(), ann: null }
}

function parseAnnotation(text: string, where: string): { ann: Annotation[]; redis72?: Tagged } {
  const ann: Annotation[] = []
  let rest = text
  let redis72: Tagged | undefined
  const k = rest.indexOf('redis72:')
  if (k >= 0) {
    const notation = rest.slice(k + 'redis72:'.length).trim()
    rest = rest.slice(0, k)
    try {
      redis72 = parseNotation(notation)
    } catch (e) {
      throw new ScenarioFileError(`${where}: bad redis72 reply: ${(e as Error).message}`)
    }
  }
  for (const word of rest.split(/[\s,]+/)) {
    if (word === '') continue
    if (!(ANNOTATIONS as readonly string[]).includes(word)) {
      throw new ScenarioFileError(`${where}: unknown annotation '${word}' (known: ${ANNOTATIONS.join(', ')}, redis72:)`)
    }
    ann.push(word as Annotation)
  }
  return redis72 === undefined ? { ann } : { ann, redis72 }
}

/** Parses a scenario file's text. */
export function parseScenarios(text: string, file: string): Scenario[] {
  const scenarios: Scenario[] = []
  const names = new Set<string>()
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '')
    const where = `${file}:${i + 1}`
    const trimmed = raw.trim()
    if (trimmed.startsWith('###')) {
      const name = trimmed.slice(3).trim()
      if (name === '') throw new ScenarioFileError(`${where}: scenario without a name`)
      if (names.has(name)) throw new ScenarioFileError(`${where}: duplicate scenario name '${name}'`)
      names.add(name)
      scenarios.push({ name, line: i + 1, steps: [] })
      continue
    }
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const current = scenarios[scenarios.length - 1]
    if (current === undefined) throw new ScenarioFileError(`${where}: command before the first '### name' line`)
    const { cmd, ann } = splitAnnotation(raw)
    const step: Step = { line: i + 1, cmd, ann: [] }
    if (ann !== null) Object.assign(step, parseAnnotation(ann, where))
    if (cmd.startsWith('@')) {
      parsePseudo(cmd, where)
    } else {
      const argv = splitInlineArgs(cmd)
      if (argv === null) throw new ScenarioFileError(`${where}: unbalanced quotes`)
      if (argv.length === 0) throw new ScenarioFileError(`${where}: empty command`)
    }
    current.steps.push(step)
  }
  return scenarios
}

/** A pseudo-command (`@sleep <ms>`); throws on unknown ones. */
export function parsePseudo(cmd: string, where = cmd): { sleep: number } {
  const m = /^@sleep\s+(\d+)$/.exec(cmd)
  if (m === null) throw new ScenarioFileError(`${where}: unknown pseudo-command '${cmd}' (known: @sleep <ms>)`)
  return { sleep: Number(m[1]) }
}

/** The arguments of a scenario command, strings where the bytes are UTF-8 and Buffers otherwise. */
export function commandArgv(cmd: string): (string | Buffer)[] {
  const argv = splitInlineArgs(cmd)
  if (argv === null) throw new ScenarioFileError(`unbalanced quotes in ${cmd}`)
  return argv.map((a) => (isUtf8(a) ? a.toString('utf8') : a))
}

/** Families (scenario file names without `.txt`), sorted. */
export function listFamilies(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => basename(f, '.txt'))
    .sort()
}

export function loadScenarios(family: string): Scenario[] {
  const file = join(SCENARIO_DIR, family + '.txt')
  return parseScenarios(readFileSync(file, 'utf8'), `${family}.txt`)
}

export function fixturePath(family: string): string {
  return join(FIXTURE_DIR, family + '.json')
}

export function listFixtures(): string[] {
  if (!existsSync(FIXTURE_DIR)) return []
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort()
}

export function loadFixture(family: string): Fixture | null {
  const file = fixturePath(family)
  if (!existsSync(file)) return null
  return JSON.parse(readFileSync(file, 'utf8')) as Fixture
}

/** Serialises a fixture deterministically, one command per line. */
export function formatFixture(f: Fixture): string {
  const out: string[] = []
  out.push('{')
  out.push(`  "family": ${JSON.stringify(f.family)},`)
  out.push(`  "server": ${JSON.stringify(f.server)},`)
  out.push('  "scenarios": [')
  f.scenarios.forEach((s, i) => {
    out.push(`    {"name": ${JSON.stringify(s.name)}, "line": ${s.line}, "commands": [`)
    s.commands.forEach((c, j) => {
      out.push('      ' + JSON.stringify(c) + (j < s.commands.length - 1 ? ',' : ''))
    })
    out.push('    ]}' + (i < f.scenarios.length - 1 ? ',' : ''))
  })
  out.push('  ]')
  out.push('}')
  return out.join('\n') + '\n'
}

/** The reply a fixture step expects from the reference server itself. */
export const serverReply = (s: FixtureStep): Tagged | undefined => s.valkey ?? s.reply

/**
 * Differences between a scenario file and its fixture (scenarios and commands
 * must match one for one); empty when the fixture is current.
 */
export function staleness(scenarios: Scenario[], fixture: Fixture | null, family: string): string[] {
  const hint = `re-record: npx tsx test/conformance/record.ts ${family}`
  if (fixture === null) return [`no fixture for ${family} (${hint})`]
  const problems: string[] = []
  const byName = new Map(fixture.scenarios.map((s) => [s.name, s]))
  for (const s of scenarios) {
    const f = byName.get(s.name)
    if (f === undefined) {
      problems.push(`scenario '${s.name}' is not in the fixture`)
      continue
    }
    const a = s.steps.map(stepKey)
    const b = f.commands.map(fixtureStepKey)
    if (a.join('\n') !== b.join('\n')) problems.push(`scenario '${s.name}' changed since it was recorded`)
  }
  const names = new Set(scenarios.map((s) => s.name))
  for (const f of fixture.scenarios) if (!names.has(f.name)) problems.push(`fixture scenario '${f.name}' no longer exists`)
  if (problems.length > 0) problems.push(hint)
  return problems
}

const stepKey = (s: Step): string =>
  JSON.stringify([s.cmd, s.ann, s.redis72 ?? null])
const fixtureStepKey = (s: FixtureStep): string =>
  JSON.stringify([s.cmd, s.ann ?? [], s.corrected ? s.reply : null])

// ---------------------------------------------------------------------------
// Compact reply notation
// ---------------------------------------------------------------------------

/** A bulk Tagged for bytes. */
export function bulkOf(b: Buffer): Tagged {
  const v = b.toString('utf8')
  return isUtf8(b) ? { t: 'bulk', v } : { t: 'bulk', v, b64: b.toString('base64') }
}

/**
 * Parses the compact notation used by `# redis72:` and shown in mismatch reports:
 * `+OK` status, `-ERR text` error (at top level the rest of the text; inside an
 * array quote it: `-"ERR x y"`), `:12` integer, `nil` null bulk, `*nil` null
 * array, `"text"`/`'text'` or a bare word: bulk string (quoted with the inline
 * command rules, so `"\xff"` is a byte), `[a b c]` array.
 */
export function parseNotation(text: string): Tagged {
  let p = 0
  const s = text.trim()
  const skip = (): void => {
    while (p < s.length && /\s/.test(s[p]!)) p++
  }
  const quoted = (): Buffer => {
    const q = s[p]!
    const start = p++
    for (; p < s.length; p++) {
      const c = s[p]
      if (q === '"' && c === '\\') p++
      else if (q === "'" && c === '\\' && s[p + 1] === "'") p++
      else if (c === q) break
    }
    if (p >= s.length) throw new Error(`unterminated quote in ${JSON.stringify(text)}`)
    p++
    const argv = splitInlineArgs(s.slice(start, p))
    if (argv === null || argv.length !== 1) throw new Error(`bad quoted string in ${JSON.stringify(text)}`)
    return argv[0]!
  }
  const word = (): string => {
    const start = p
    while (p < s.length && !/[\s\]]/.test(s[p]!)) p++
    return s.slice(start, p)
  }
  const value = (top: boolean): Tagged => {
    skip()
    const c = s[p]
    if (c === undefined) throw new Error(`missing value in ${JSON.stringify(text)}`)
    if (c === '[') {
      p++
      const items: Tagged[] = []
      for (;;) {
        skip()
        if (s[p] === ']') {
          p++
          return { t: 'array', v: items }
        }
        if (p >= s.length) throw new Error(`unterminated array in ${JSON.stringify(text)}`)
        items.push(value(false))
      }
    }
    if (c === '+' || c === '-') {
      p++
      let v: string
      if (s[p] === '"' || s[p] === "'") v = quoted().toString('utf8')
      else if (top) {
        v = s.slice(p)
        p = s.length
      } else v = word()
      return c === '+' ? { t: 'status', v } : { t: 'error', v }
    }
    if (c === ':') {
      p++
      const v = word()
      if (!/^-?\d+$/.test(v)) throw new Error(`bad integer '${v}'`)
      return { t: 'int', v }
    }
    if (c === '"' || c === "'") return bulkOf(quoted())
    const w = word()
    if (w === 'nil') return { t: 'nil' }
    if (w === '*nil') return { t: 'nilarray' }
    return bulkOf(Buffer.from(w, 'utf8'))
  }
  const v = value(true)
  skip()
  if (p < s.length) throw new Error(`unexpected text after the reply: ${JSON.stringify(s.slice(p))}`)
  return v
}

function quote(b: Buffer): string {
  let out = '"'
  const text = b.toString('utf8')
  if (isUtf8(b)) {
    for (const ch of text) {
      const c = ch.codePointAt(0)!
      if (ch === '"' || ch === '\\') out += '\\' + ch
      else if (c === 10) out += '\\n'
      else if (c === 13) out += '\\r'
      else if (c === 9) out += '\\t'
      else if (c < 32 || c === 127) out += '\\x' + c.toString(16).padStart(2, '0')
      else out += ch
    }
  } else {
    for (const c of b) {
      if (c === 34 || c === 92) out += '\\' + String.fromCharCode(c)
      else if (c === 10) out += '\\n'
      else if (c === 13) out += '\\r'
      else if (c === 9) out += '\\t'
      else if (c >= 32 && c < 127) out += String.fromCharCode(c)
      else out += '\\x' + c.toString(16).padStart(2, '0')
    }
  }
  return out + '"'
}

const bytesOf = (t: { v: string; b64?: string }): Buffer =>
  t.b64 !== undefined ? Buffer.from(t.b64, 'base64') : Buffer.from(t.v, 'utf8')

/** A reply in the compact notation (RESP3-only types are written in a readable form too). */
export function showReply(t: Tagged | undefined, top = true): string {
  if (t === undefined) return '(not recorded)'
  // `any` fixture entries keep only the type
  if (!('v' in t) && t.t !== 'nil' && t.t !== 'nilarray' && t.t !== 'null') return `<${(t as { t: string }).t}>`
  switch (t.t) {
    case 'status':
      return top ? '+' + t.v : '+' + quote(Buffer.from(t.v))
    case 'error':
      return top ? '-' + t.v : '-' + quote(Buffer.from(t.v))
    case 'int':
      return ':' + t.v
    case 'bulk':
      return quote(bytesOf(t))
    case 'nil':
      return 'nil'
    case 'nilarray':
      return '*nil'
    case 'array':
      return '[' + t.v.map((x) => showReply(x, false)).join(' ') + ']'
    case 'null':
      return '_'
    case 'double':
      return ',' + t.v
    case 'bool':
      return t.v ? '#t' : '#f'
    case 'bignum':
      return '(' + t.v
    case 'verbatim':
      return '=' + t.format + ':' + quote(bytesOf(t))
    case 'map':
    case 'set':
    case 'push':
      return `${t.t}[` + t.v.map((x) => showReply(x, false)).join(' ') + ']'
    default:
      // only the type is known (an `any` fixture entry)
      return `<${(t as { t: string }).t}>`
  }
}

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

const key = (t: Tagged): string => JSON.stringify(stripAttr(t))

function stripAttr(t: Tagged): Tagged {
  if (t.attr === undefined) return t
  const { attr: _attr, ...rest } = t
  return rest as Tagged
}

function equal(a: Tagged, b: Tagged, unordered: boolean): boolean {
  if (a.t !== b.t) return false
  switch (a.t) {
    case 'array':
    case 'set':
    case 'push':
    case 'map': {
      const av = a.v
      const bv = (b as typeof a).v
      if (av.length !== bv.length) return false
      if (!unordered || a.t === 'map') return av.every((x, i) => equal(x, bv[i]!, unordered))
      // multiset: match each element of a with a distinct equal element of b
      const used = new Array<boolean>(bv.length).fill(false)
      for (const x of av) {
        const j = bv.findIndex((y, i) => !used[i] && equal(x, y, true))
        if (j < 0) return false
        used[j] = true
      }
      return true
    }
    case 'bulk':
    case 'verbatim': {
      const bb = b as typeof a
      if (a.t === 'verbatim' && a.format !== (bb as { format: string }).format) return false
      return a.v === bb.v && a.b64 === bb.b64
    }
    default:
      return key(a) === key(b)
  }
}

/** Whether `actual` is acceptable for `expected` under the annotations. */
export function replyMatches(actual: Tagged, expected: Tagged, ann: readonly Annotation[] = []): boolean {
  if (ann.includes('any')) return actual.t === expected.t
  for (const a of ann) {
    const tol = TOLERANCE[a]
    if (tol !== undefined && actual.t === 'int' && expected.t === 'int') {
      return Math.abs(Number(BigInt(actual.v) - BigInt(expected.v))) <= tol
    }
  }
  if (ann.includes('unordered-pairs') && isAggregate(actual) && isAggregate(expected) && actual.t === expected.t) {
    return samePairs((actual as { v: Tagged[] }).v, (expected as { v: Tagged[] }).v)
  }
  return equal(actual, expected, ann.includes('unordered'))
}

/** Flat [k1, v1, k2, v2, …] lists holding the same pairs in any order. */
function samePairs(a: Tagged[], b: Tagged[]): boolean {
  if (a.length !== b.length || a.length % 2 !== 0) return false
  const pending = new Map<string, number>()
  for (let i = 0; i < b.length; i += 2) {
    const k = key(b[i]!) + '\n' + key(b[i + 1]!)
    pending.set(k, (pending.get(k) ?? 0) + 1)
  }
  for (let i = 0; i < a.length; i += 2) {
    const k = key(a[i]!) + '\n' + key(a[i + 1]!)
    const n = pending.get(k)
    if (n === undefined || n === 0) return false
    pending.set(k, n - 1)
  }
  return true
}

function sortPairs(t: Tagged): Tagged {
  if (!isAggregate(t)) return t
  const v = (t as { v: Tagged[] }).v
  if (v.length % 2 !== 0) return t
  const pairs: [Tagged, Tagged][] = []
  for (let i = 0; i < v.length; i += 2) pairs.push([v[i]!, v[i + 1]!])
  pairs.sort((x, y) => {
    const a = key(x[0]) + '\n' + key(x[1])
    const b = key(y[0]) + '\n' + key(y[1])
    return a < b ? -1 : a > b ? 1 : 0
  })
  return { ...t, v: pairs.flat() } as Tagged
}

/**
 * The form in which a recorded reply is stored, so that re-recording gives the
 * same file: `any` keeps only the type, `unordered` sorts arrays of scalars
 * (`unordered-pairs` the pairs of a flat pair list),
 * and `ttl`/`pttl` replies within tolerance of the previous recording keep the
 * previous value.
 */
export function canonical(reply: Tagged, ann: readonly Annotation[], previous?: Tagged): Tagged {
  if (ann.includes('any')) return { t: reply.t } as Tagged
  if (ann.includes('unordered')) reply = sortArrays(reply)
  if (ann.includes('unordered-pairs')) reply = sortPairs(reply)
  const tolerant = ann.some((a) => TOLERANCE[a] !== undefined)
  if (tolerant && previous !== undefined && replyMatches(reply, previous, ann)) return previous
  return reply
}

const isAggregate = (t: Tagged): boolean => t.t === 'array' || t.t === 'set' || t.t === 'push' || t.t === 'map'

/** Sorts arrays of scalars (nested ones included); mixed arrays such as SCAN's [cursor, keys] keep their order. */
function sortArrays(t: Tagged): Tagged {
  if (t.t !== 'array' && t.t !== 'set' && t.t !== 'push') return t
  const v = t.v.map(sortArrays)
  if (!v.some(isAggregate)) v.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0))
  return { ...t, v }
}

/** One failed comparison, for reports. */
export interface Mismatch {
  line: number
  cmd: string
  expected: Tagged | undefined
  actual: Tagged | string
}

export function formatMismatches(file: string, scenario: string, list: Mismatch[], limit = 8): string {
  const parts = list.slice(0, limit).map(
    (m) =>
      `${file}:${m.line} [${scenario}] ${m.cmd}\n` +
      `    expected: ${showReply(m.expected)}\n` +
      `    actual:   ${typeof m.actual === 'string' ? m.actual : showReply(m.actual)}`,
  )
  if (list.length > limit) parts.push(`… and ${list.length - limit} more`)
  return parts.join('\n')
}
