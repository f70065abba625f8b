/**
 * Streams and consumer groups. IDs are always explicit (`*` takes the clock, which differs between
 * the two sides). Replies that carry idle or delivery times (XPENDING's extended form, XINFO
 * CONSUMERS, XINFO STREAM FULL) go through a small script that zeroes those fields, so the rest of
 * the reply is still compared exactly. Idle thresholds are either 0 or far away (an hour), never
 * near the few milliseconds a run takes. Each run starts by loading the scripts (SCRIPT LOAD, then
 * EVALSHA keeps the printed sequences short) and creating a group on each main key.
 */
import { createHash } from 'node:crypto'
import { anInt, type Gen, INTS, KEYS, kw, OTHER_TYPES, type Rng, small } from './gen.js'

/** Mostly two keys, so streams grow and groups on them meet their readers. */
const key = (r: Rng): string => (r.chance(0.75) ? r.pick(['k1', 'k2']) : r.pick(KEYS))
const CONSUMERS = ['c1', 'c2', 'c3'] as const
const group = (r: Rng): string => r.weighted([[6, 'g1'], [3, 'g2'], [1, 'g3']])
const FIELDS = ['f', 'g', 'h', 'idle', ''] as const
const VALS = ['v', '1', '', 'é', 'x'.repeat(70), 'y'.repeat(300)] as const
const consumer = (r: Rng): string => r.pick(CONSUMERS)

/** Per run: where the next run of "fresh" IDs starts (above everything the small IDs reach). */
interface RunState {
  next: number
  loaded: number
  /** Recently added fresh IDs, so XDEL, XACK, XCLAIM... name entries that exist. */
  ids: string[]
}
const state = new WeakMap<Rng, RunState>()
function stateOf(r: Rng): RunState {
  let s = state.get(r)
  if (s === undefined) state.set(r, (s = { next: 100, loaded: 0, ids: [] }))
  return s
}
function fresh(r: Rng, n = 1): number {
  const s = stateOf(r)
  const at = s.next
  s.next += n
  return at
}
function freshId(r: Rng): string {
  const s = stateOf(r)
  const id = `${fresh(r)}-${r.int(0, 2)}`
  remember(s, id)
  return id
}
function remember(s: RunState, id: string): void {
  if (s.ids.length >= 12) s.ids.shift()
  s.ids.push(id)
}
/** An ID added before in this run (or a small one before the first). */
function seenId(r: Rng): string {
  const ids = stateOf(r).ids
  return ids.length === 0 ? smallId(r) : r.pick(ids)
}

const MAX = '18446744073709551615'
const BAD_IDS = ['x', '1-x', '-1', '', '18446744073709551616', '1-18446744073709551616', '1.5', '$', '>'] as const

/** A complete ID in a small range, so IDs collide often. */
const smallId = (r: Rng): string => `${r.int(0, 12)}-${r.int(0, 3)}`

/** An ID for XADD: mostly explicit, sometimes partial (`ms-*`, `ms`), fresh, extreme or invalid. */
function addId(r: Rng): string {
  return r.weighted<() => string>([
    [2, () => smallId(r)],
    [12, () => freshId(r)],
    [1.5, () => `${r.int(0, 12)}-*`],
    [0.5, () => `${fresh(r)}-*`],
    [1, () => String(r.int(0, 12))],
    [0.4, () => r.pick([`${MAX}-${MAX}`, `${MAX}-*`, `${MAX}-18446744073709551614`, '0-0', '0-*', '0', '0-1'])],
    [1, () => r.pick(BAD_IDS)],
  ])()
}

/** A range bound: special, complete, partial, exclusive or invalid. */
function bound(r: Rng, low: boolean): string {
  return r.weighted<() => string>([
    [3, () => (low ? '-' : '+')],
    [3, () => smallId(r)],
    [3, () => seenId(r)],
    [2, () => String(r.int(0, 12))],
    [2, () => '(' + (r.chance(0.8) ? smallId(r) : r.pick(['0-0', `${MAX}-${MAX}`, '5', '-', '+']))],
    [1, () => (low ? '+' : '-')],
    [1, () => String(r.int(90, 400))],
    [1, () => r.pick(BAD_IDS)],
  ])()
}

/** An ID argument of commands other than XADD. */
function someId(r: Rng): string {
  return r.weighted<() => string>([
    [4, () => smallId(r)],
    [6, () => seenId(r)],
    [2, () => String(r.int(0, 12))],
    [1, () => `${r.int(100, 300)}-${r.int(0, 2)}`],
    [1, () => r.pick(['0-0', '0', `${MAX}-${MAX}`, ...BAD_IDS])],
  ])()
}

/** An ID for commands on pending entries: mostly one that was added. */
const pelId = (r: Rng): string => (r.chance(0.7) ? seenId(r) : someId(r))

function fieldValues(r: Rng): string[] {
  const out: string[] = []
  const n = r.chance(0.05) ? 0 : r.int(1, 3)
  for (let i = 0; i < n; i++) out.push(r.pick(FIELDS), r.pick(VALS))
  if (r.chance(0.03)) out.push(r.pick(FIELDS)) // odd count: wrong number of arguments
  return out
}

/** XADD/XTRIM trimming: MAXLEN or MINID, with = or ~, and LIMIT. */
function trimArgs(r: Rng): string[] {
  const out: string[] = []
  const minid = r.chance(0.4)
  out.push(kw(r, minid ? 'MINID' : 'MAXLEN'))
  const approx = r.chance(0.4)
  if (r.chance(0.6)) out.push(approx ? '~' : '=')
  if (minid) out.push(r.chance(0.85) ? (r.chance(0.7) ? smallId(r) : `${r.int(90, 400)}`) : r.pick(BAD_IDS))
  else out.push(r.chance(0.85) ? String(r.pick([0, 1, 3, 5, 10, 20, 30, 50, 99, 100, 101, 150, 200])) : r.pick(INTS))
  if (r.chance(0.25)) out.push(kw(r, 'LIMIT'), r.chance(0.8) ? String(r.pick([0, 1, 10, 100, 150])) : r.pick(INTS))
  if (r.chance(0.03)) out.push(r.pick(['MAXLEN', 'MINID', 'NOMKSTREAM', 'x']))
  return out
}

/**
 * Runs a command through a script that zeroes idle/delivery times: in any array that starts with
 * an ID and has 3 or 4 elements (pending entries), the element before the last (a time); in flat
 * field lists, the values of `seen-time`, `active-time`, `idle` and `inactive` (kept at -1 when
 * the consumer never acted).
 */
const MASK_FN = `
local function isid(s) return type(s) == 'string' and string.match(s, '^%d+%-%d+$') ~= nil end
local function mask(t)
  if type(t) ~= 'table' or t.err or t.ok then return t end
  local n = #t
  if (n == 3 or n == 4) and isid(t[1]) and type(t[n-1]) == 'number' then t[n-1] = 0 end
  for i = 1, n do
    local v = t[i]
    if type(v) == 'string' and i < n and type(t[i+1]) == 'number' and
      (v == 'seen-time' or v == 'active-time' or v == 'idle' or v == 'inactive') then
      if not (v == 'inactive' and t[i+1] == -1) then t[i+1] = 0 end
    elseif type(v) == 'table' then mask(v) end
  end
  return t
end
`
const MASK = MASK_FN + 'return mask(redis.pcall(unpack(ARGV)))'
const MASK_SHA = createHash('sha1').update(MASK).digest('hex')
const masked = (argv: string[]): string[] => ['EVALSHA', MASK_SHA, '0', ...argv]

/** Many entries at once (over a node's 100 entries or 4096 bytes), through a script loop. */
const BULK = `
local n = 0
for i = 1, tonumber(ARGV[2]) do
  local r = redis.pcall('XADD', KEYS[1], (tonumber(ARGV[1]) + i) .. '-1', 'f' .. (i % 5), ARGV[3])
  if type(r) == 'table' and r.err then return r end
  n = n + 1
end
return n`
const BULK_SHA = createHash('sha1').update(BULK).digest('hex')

/**
 * DUMP of a stream when it holds no consumers (their times are in the payload), compared byte for
 * byte except for compression: LZF output is not unique (embedis's compressor makes other choices
 * than liblzf, and so sometimes compresses a node liblzf leaves plain or the reverse), so node
 * keys and listpacks are compared by their (expanded) contents, and the CRC is dropped. Then the
 * payload is restored into a scratch key and read back with XINFO STREAM FULL.
 */
const DUMP = MASK_FN + `
local function len(s, i)
  local b = s:byte(i)
  local t = bit.rshift(b, 6)
  if t == 0 then return bit.band(b, 63), i + 1, false end
  if t == 1 then return bit.band(b, 63) * 256 + s:byte(i + 1), i + 2, false end
  if t == 3 then return bit.band(b, 63), i + 1, true end
  local n, w = 0, (b == 0x80) and 4 or 8
  for k = 1, w do n = n * 256 + s:byte(i + k) end
  return n, i + 1 + w, false
end
local function unlzf(s, i, e)
  local out, o = {}, 0
  while i < e do
    local c = s:byte(i)
    i = i + 1
    if c < 32 then
      for k = 0, c do out[o + 1 + k] = s:byte(i + k) end
      o = o + c + 1
      i = i + c + 1
    else
      local n = bit.rshift(c, 5)
      if n == 7 then n = n + s:byte(i); i = i + 1 end
      local ref = o + 1 - bit.band(c, 31) * 256 - 1 - s:byte(i)
      i = i + 1
      for k = 0, n + 1 do out[o + 1 + k] = out[ref + k] end
      o = o + n + 2
    end
  end
  local parts = {}
  for k = 1, o do parts[k] = string.char(out[k]) end
  return table.concat(parts)
end
local function expand(d)
  local nodes, i = len(d, 2)
  local parts = {d:sub(1, i - 1)}
  for _ = 1, 2 * nodes do
    local n, j, enc = len(d, i)
    if enc and n == 3 then
      local clen, j2 = len(d, j)
      local ulen, j3 = len(d, j2)
      parts[#parts + 1] = unlzf(d, j3, j3 + clen)
      i = j3 + clen
    elseif enc then
      parts[#parts + 1] = d:sub(i, j + 2 ^ n - 1)
      i = j + 2 ^ n
    else
      parts[#parts + 1] = d:sub(j, j + n - 1)
      i = j + n
    end
  end
  parts[#parts + 1] = d:sub(i, #d - 8)
  return table.concat(parts)
end
if redis.call('TYPE', KEYS[1])['ok'] ~= 'stream' then return false end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  for i = 1, #g, 2 do if g[i] == 'consumers' and g[i+1] > 0 then return 'consumers' end end
end
local d = redis.call('DUMP', KEYS[1])
redis.call('RESTORE', 'scratch', 0, d, 'REPLACE')
local info = mask(redis.call('XINFO', 'STREAM', 'scratch', 'FULL'))
redis.call('DEL', 'scratch')
return {expand(d), info}`
const DUMP_SHA = createHash('sha1').update(DUMP).digest('hex')
const SCRIPTS = [MASK, BULK, DUMP]

/** Far from any run's length, or zero: idle filters that both sides decide alike. */
const idle = (r: Rng): string => (r.chance(0.9) ? r.pick(['0', '3600000', '0', '100000000']) : r.pick(['-1', 'abc', '1.5', '9223372036854775807', '-9223372036854775808']))

const count = (r: Rng): string => (r.chance(0.85) ? String(r.pick([0, 1, 2, 3, 5, 10, 100])) : r.pick(INTS))

function xreadgroup(r: Rng): string[] {
  const out = ['XREADGROUP']
  if (r.chance(0.97)) out.push(kw(r, 'GROUP'), group(r), consumer(r))
  if (r.chance(0.4)) out.push(kw(r, 'COUNT'), count(r))
  if (r.chance(0.1)) out.push(kw(r, 'NOACK'))
  if (r.chance(0.02)) out.push(r.pick(['BLOCK', 'x']))
  out.push(kw(r, 'STREAMS'))
  const keys = r.chance(0.7) ? [key(r)] : [key(r), key(r)]
  out.push(...keys)
  for (let i = 0; i < keys.length; i++) out.push(r.chance(0.7) ? '>' : r.chance(0.8) ? someId(r) : r.pick(['$', '+', '0']))
  if (r.chance(0.03)) out.pop()
  return out
}

function xread(r: Rng): string[] {
  const out = ['XREAD']
  if (r.chance(0.4)) out.push(kw(r, 'COUNT'), count(r))
  if (r.chance(0.02)) out.push(r.pick(['NOACK', 'x', 'GROUP']))
  out.push(kw(r, 'STREAMS'))
  const keys = r.some(KEYS, 1, 3)
  out.push(...keys)
  for (let i = 0; i < keys.length; i++) out.push(r.chance(0.85) ? someId(r) : r.pick(['$', '>', '0', '-', '+']))
  if (r.chance(0.03)) out.pop()
  return out
}

function xclaim(r: Rng): string[] {
  const out = ['XCLAIM', key(r), group(r), consumer(r), idle(r)]
  const n = r.int(1, 3)
  for (let i = 0; i < n; i++) out.push(pelId(r))
  const opts = r.int(0, 3)
  for (let i = 0; i < opts; i++) {
    const o = r.pick(['IDLE', 'TIME', 'RETRYCOUNT', 'FORCE', 'JUSTID', 'LASTID', 'BOGUS'])
    out.push(kw(r, o))
    if (o === 'IDLE') out.push(r.chance(0.9) ? r.pick(['0', '7200000', '100000000']) : r.pick(['-5', 'x', '']))
    if (o === 'TIME') out.push(r.chance(0.9) ? r.pick(['1', '1000000000000', '4000000000000']) : r.pick(['-5', 'x']))
    if (o === 'RETRYCOUNT') out.push(r.chance(0.9) ? small(r, 0, 5) : r.pick(['-1', 'x', '9223372036854775807']))
    if (o === 'LASTID') out.push(someId(r))
  }
  return out
}

const GENS: Array<readonly [number, Gen]> = [
  [18, (r) => {
    const out = ['XADD', key(r)]
    if (r.chance(0.1)) out.push(kw(r, 'NOMKSTREAM'))
    if (r.chance(0.12)) out.push(...trimArgs(r))
    if (r.chance(0.05)) out.push(kw(r, 'NOMKSTREAM'))
    out.push(addId(r), ...fieldValues(r))
    return { argv: out }
  }],
  [1, (r) => {
    const base = fresh(r, 400)
    const n = r.pick([30, 120, 250])
    for (let i = 0; i < 3; i++) remember(stateOf(r), `${base + r.int(1, n)}-1`)
    return { argv: ['EVALSHA', BULK_SHA, '1', key(r), String(base), String(n), r.pick(VALS)] }
  }],
  [3, (r) => ({ argv: ['XLEN', key(r)] })],
  [6, (r) => ({ argv: [r.chance(0.5) ? 'XRANGE' : 'XREVRANGE', key(r), bound(r, true), bound(r, false), ...(r.chance(0.3) ? [kw(r, 'COUNT'), count(r)] : []), ...(r.chance(0.02) ? ['x'] : [])] })],
  [3, (r) => ({ argv: ['XDEL', key(r), ...Array.from({ length: r.int(r.chance(0.05) ? 0 : 1, 3) }, () => someId(r))] })],
  [2, (r) => ({ argv: ['XTRIM', key(r), ...(r.chance(0.95) ? trimArgs(r) : [])] })],
  [2, (r) => {
    const out = ['XSETID', key(r), r.chance(0.6) ? someId(r) : `${r.int(100, 500)}-${r.int(0, 3)}`]
    if (r.chance(0.3)) out.push(kw(r, 'ENTRIESADDED'), r.chance(0.85) ? String(r.int(0, 600)) : r.pick(['-1', 'x', '9223372036854775807']))
    if (r.chance(0.3)) out.push(kw(r, 'MAXDELETEDID'), someId(r))
    if (r.chance(0.03)) out.push('x')
    // Entries-added at 2^63 - 1 wraps with the next XADD; a group created then has a negative entries-read,
    // which Redis too propagates as an XGROUP SETID … ENTRIESREAD that no server accepts back.
    return { argv: out, unreplicated: out.includes('9223372036854775807') }
  }],
  [3, (r) => ({ argv: ['XINFO', 'STREAM', key(r)] })],
  [2, (r) => ({ argv: masked(['XINFO', 'STREAM', key(r), kw(r, 'FULL'), ...(r.chance(0.4) ? [kw(r, 'COUNT'), count(r)] : [])]) })],
  [2, (r) => ({ argv: ['XINFO', 'GROUPS', key(r)] })],
  [2, (r) => ({ argv: masked(['XINFO', 'CONSUMERS', key(r), group(r)]) })],
  // Not through the script: Valkey 8 words arity errors inside scripts differently from Redis 7.2.
  // FULL's times are checked by the masked forms above.
  [1, (r) => {
    const argv = ['XINFO', r.pick(['STREAM', 'GROUPS', 'CONSUMERS', 'BOGUS', 'HELP']), ...r.some(['k1', 'g1', 'COUNT', 'x'], 0, 3)]
    // A well-formed XINFO CONSUMERS replies idle times: through the script then.
    return { argv: argv[1] === 'CONSUMERS' && argv.length === 4 ? masked(argv) : argv }
  }],
  [7, (r) => {
    const out = ['XGROUP', 'CREATE', key(r), group(r), r.chance(0.3) ? '$' : someId(r)]
    if (r.chance(0.7)) out.push(kw(r, 'MKSTREAM'))
    // Big but not near 2^63: a counter wrapped past it (scenario "entries-added and entries-read
    // past 2^63") is propagated as a negative ENTRIESREAD, which no server accepts back.
    if (r.chance(0.25)) out.push(kw(r, 'ENTRIESREAD'), r.chance(0.85) ? String(r.int(-1, 40)) : r.pick(['-2', 'x', '9223372036854775808', '4611686018427387904']))
    if (r.chance(0.03)) out.push('x')
    return { argv: out }
  }],
  [2, (r) => {
    const out = ['XGROUP', 'SETID', key(r), group(r), r.chance(0.3) ? '$' : someId(r)]
    if (r.chance(0.3)) out.push(kw(r, 'ENTRIESREAD'), r.chance(0.85) ? String(r.int(-1, 40)) : r.pick(['-2', 'x']))
    if (r.chance(0.03)) out.push(r.pick(['MKSTREAM', 'x']))
    return { argv: out }
  }],
  [1, (r) => ({ argv: ['XGROUP', 'DESTROY', key(r), group(r)] })],
  [2, (r) => ({ argv: ['XGROUP', 'CREATECONSUMER', key(r), group(r), consumer(r)] })],
  [1, (r) => ({ argv: ['XGROUP', 'DELCONSUMER', key(r), group(r), consumer(r)] })],
  [1, (r) => ({ argv: ['XGROUP', r.pick(['HELP', 'BOGUS', 'CREATE', 'SETID']), ...r.some(['k1', 'g1', '0', 'x'], 0, 2)] })],
  [8, (r) => ({ argv: xreadgroup(r) })],
  [3, (r) => ({ argv: xread(r) })],
  [4, (r) => ({ argv: ['XACK', key(r), group(r), ...Array.from({ length: r.int(r.chance(0.05) ? 0 : 1, 3) }, () => pelId(r))] })],
  [3, (r) => ({ argv: ['XPENDING', key(r), group(r)] })],
  [4, (r) => {
    const out = ['XPENDING', key(r), group(r)]
    if (r.chance(0.3)) out.push(kw(r, 'IDLE'), idle(r))
    if (r.chance(0.5)) out.push('-', '+')
    else out.push(bound(r, true), bound(r, false))
    out.push(count(r))
    if (r.chance(0.4)) out.push(consumer(r))
    if (r.chance(0.03)) out.push('x')
    return { argv: masked(out) }
  }],
  [4, (r) => ({ argv: xclaim(r) })],
  [3, (r) => {
    const out = ['XAUTOCLAIM', key(r), group(r), consumer(r), idle(r), r.chance(0.8) ? someId(r) : r.pick(['-', '+', '0'])]
    if (r.chance(0.4)) out.push(kw(r, 'COUNT'), r.chance(0.85) ? String(r.pick([1, 2, 3, 10, 100])) : r.pick(['0', '-1', 'x', '9223372036854775807', '1000000000']))
    if (r.chance(0.3)) out.push(kw(r, 'JUSTID'))
    if (r.chance(0.03)) out.push('x')
    return { argv: out }
  }],
  [1, (r) => ({ argv: ['OBJECT', 'ENCODING', key(r)] })],
  [2, (r) => ({ argv: ['EVALSHA', DUMP_SHA, '1', key(r)] })],
  [1, (r) => ({ argv: ['TYPE', key(r)] })],
  [0.5, (r) => ({ argv: ['DEL', key(r)] })],
  [1, (r) => ({ argv: ['COPY', key(r), r.chance(0.8) ? r.pick(['k3', 'k4']) : key(r), ...(r.chance(0.5) ? [kw(r, 'REPLACE')] : [])] })],
  [0.3, (r) => r.pick(OTHER_TYPES)(r)],
  // Other types mostly on k3/k4, so k1/k2 stay streams long enough for their groups to matter.
  [1.5, (r) => {
    const c = r.pick(OTHER_TYPES)(r)
    if (c.argv[1] === 'k1' || c.argv[1] === 'k2') c.argv[1] = r.pick(['k3', 'k4'])
    return c
  }],
  [1, (r) => ({ argv: [r.pick(['XLEN', 'XRANGE', 'XADD', 'XGROUP', 'XINFO', 'XPENDING', 'XCLAIM', 'XAUTOCLAIM', 'XSETID', 'XTRIM', 'XDEL', 'XACK']), ...r.some(['k1', 'g1', 'c1', '0', '-', '+', 'f'], 0, 2)] })],
  [1, (r) => ({ argv: ['XRANGE', key(r), '-', '+', 'COUNT', anInt(r)] })],
]

/** Each run starts by loading the two scripts (both sides start with an empty script cache). */
export const streams: Gen = (r) => {
  const s = stateOf(r)
  if (s.loaded < SCRIPTS.length) return { argv: ['SCRIPT', 'LOAD', SCRIPTS[s.loaded++]!] }
  // Then groups on both main keys, so reads, claims and acks have work from the start.
  if (s.loaded < SCRIPTS.length + 2) return { argv: ['XGROUP', 'CREATE', s.loaded++ === SCRIPTS.length ? 'k1' : 'k2', 'g1', r.pick(['0', '$']), 'MKSTREAM'] }
  return r.weighted(GENS)(r)
}
