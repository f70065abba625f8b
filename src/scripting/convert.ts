/**
 * Conversions between Redis values and Lua values, as Redis 7.2's
 * script_lua.c does them (lua.md §4–§6): `redis.call` arguments, command
 * replies pushed into Lua, and the script's return value turned into a reply.
 */
import { Buffer } from 'node:buffer'
import { isBinaryKey, keyBytes } from '../core/bytes.js'
import { ReplyError } from '../core/errors.js'
import { formatDouble, fpconvDtoa, integerText } from '../core/numbers.js'
import { BigNumber, Bool, Double, MapReply, NULL_ARRAY, Push, SetReply, Status, Verbatim, type Reply } from '../core/reply.js'
import type { Arg } from '../commands/table.js'
import { fengari, type LuaState } from './fengari.js'

const { lua, pushOwned } = fengari()
const {
  lua_pushnumber,
  lua_pushboolean,
  lua_pushnil,
  lua_pushstring,
  lua_createtable,
  lua_rawseti,
  lua_rawset,
  lua_setfield,
  lua_type,
  lua_tolstring,
  lua_tonumber,
  lua_toboolean,
  lua_rawget,
  lua_rawgeti,
  lua_next,
  lua_pop,
  lua_pushvalue,
  lua_checkstack,
  lua_gettop,
  LUA_TSTRING,
  LUA_TNUMBER,
  LUA_TBOOLEAN,
  LUA_TTABLE,
  LUA_TNIL,
} = lua

/** Lua 5.1's LUAI_MAXCSTACK: the most stack slots C code may use, which ends a script reply's nesting. */
const LUAI_MAXCSTACK = 8000

const utf8 = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

/**
 * Lua string bytes as a command argument or reply value: short ASCII strings
 * as JS strings, other valid UTF-8 as strings too, anything else as a Buffer
 * (copied: the Lua string's bytes stay owned by Lua).
 */
export function bytesToArg(u: Uint8Array): string | Buffer {
  const n = u.length
  if (n <= 32) {
    let ascii = true
    for (let i = 0; i < n; i++) {
      if (u[i]! > 0x7f) {
        ascii = false
        break
      }
    }
    if (ascii) return String.fromCharCode.apply(null, u as unknown as number[])
  }
  try {
    return utf8.decode(u)
  } catch {
    return Buffer.from(u)
  }
}

/** A JS string or Buffer as Lua string bytes. */
export function toLuaBytes(v: string | Buffer | Uint8Array): Uint8Array {
  if (typeof v !== 'string') return v
  return isBinaryKey(v) ? keyBytes(v) : textBytes(v)
}

/** A text string (not a binary key) as new UTF-8 bytes. */
function textBytes(v: string): Uint8Array {
  const n = v.length
  if (n <= 32) {
    let ascii = true
    for (let i = 0; i < n; i++) {
      if (v.charCodeAt(i) > 0x7f) {
        ascii = false
        break
      }
    }
    if (ascii) {
      const u = new Uint8Array(n)
      for (let i = 0; i < n; i++) u[i] = v.charCodeAt(i)
      return u
    }
  }
  return encoder.encode(v)
}

/** Pushes a JS string or bytes as a Lua string. */
export function pushBytes(L: LuaState, v: string | Buffer | Uint8Array): void {
  // The bytes of a text string are made here, and nothing else holds them: Lua takes them as they are.
  if (typeof v === 'string' && !isBinaryKey(v)) pushOwned(L, textBytes(v))
  else lua_pushstring(L, toLuaBytes(v))
}

const TWO63 = 9223372036854775808

/**
 * A Lua number as a `redis.call` argument: integral values within ±2^63 as
 * integer digits, anything else as fpconv_dtoa prints it (`0.1`, `1e+20`).
 */
export function numberToArg(n: number): string {
  if (Number.isInteger(n) && n > -TWO63 && n < TWO63) return integerText(n)
  return fpconvDtoa(n)
}

/** A Lua number returned by a script: the C cast to long long (truncation; NaN/inf/out of range give INT64_MIN). */
export function numberToInteger(n: number): number | bigint {
  if (!(n > -TWO63 && n < TWO63)) return -9223372036854775808n
  const t = Math.trunc(n)
  if (t >= -9007199254740991 && t <= 9007199254740991) return t === 0 ? 0 : t
  return BigInt(t)
}

/**
 * Pushes a command reply as Redis converts it for a script (lua.md §5): with
 * `resp` 2, nil is `false` and RESP3 types come as their RESP2 shapes; with
 * `resp` 3, nil is `nil`, maps/sets/doubles/booleans/verbatim as tables.
 */
export function pushReply(L: LuaState, r: Reply, resp: 2 | 3): void {
  switch (typeof r) {
    case 'string':
      pushBytes(L, r)
      return
    case 'number':
      lua_pushnumber(L, r)
      return
    case 'bigint':
      lua_pushnumber(L, Number(r))
      return
    case 'symbol':
      if (resp === 2) lua_pushboolean(L, false)
      else lua_pushnil(L)
      return
  }
  if (r === null) {
    if (resp === 2) lua_pushboolean(L, false)
    else lua_pushnil(L)
    return
  }
  lua_checkstack(L, 4)
  if (Buffer.isBuffer(r)) {
    lua_pushstring(L, r)
    return
  }
  if (Array.isArray(r)) {
    pushArray(L, r, resp)
    return
  }
  if (r instanceof Status) {
    lua_createtable(L, 0, 1)
    pushBytes(L, r.value)
    lua_setfield(L, -2, OK_FIELD)
    return
  }
  if (r instanceof ReplyError) {
    pushErrorTable(L, '-' + r.message)
    return
  }
  if (r instanceof Double) {
    if (resp === 2) {
      pushBytes(L, formatDouble(r.value))
      return
    }
    lua_createtable(L, 0, 1)
    lua_pushnumber(L, r.value)
    lua_setfield(L, -2, DOUBLE_FIELD)
    return
  }
  if (r instanceof MapReply) {
    if (resp === 2) {
      pushArray(L, r.entries, resp)
      return
    }
    lua_createtable(L, 0, 1)
    const e = r.entries
    lua_createtable(L, 0, e.length >> 1)
    for (let i = 0; i + 1 < e.length; i += 2) {
      pushReply(L, e[i]!, resp)
      pushReply(L, e[i + 1]!, resp)
      if (lua_type(L, -2) === LUA_TNIL) lua_pop(L, 2)
      else lua_rawset(L, -3)
    }
    lua_setfield(L, -2, MAP_FIELD)
    return
  }
  if (r instanceof SetReply) {
    if (resp === 2) {
      pushArray(L, r.items, resp)
      return
    }
    lua_createtable(L, 0, 1)
    lua_createtable(L, 0, r.items.length)
    for (const m of r.items) {
      pushReply(L, m, resp)
      if (lua_type(L, -1) === LUA_TNIL) {
        lua_pop(L, 1)
        continue
      }
      lua_pushboolean(L, true)
      lua_rawset(L, -3)
    }
    lua_setfield(L, -2, SET_FIELD)
    return
  }
  if (r instanceof BigNumber) {
    if (resp === 2) pushBytes(L, r.value)
    else {
      lua_createtable(L, 0, 1)
      pushBytes(L, r.value)
      lua_setfield(L, -2, BIG_FIELD)
    }
    return
  }
  if (r instanceof Verbatim) {
    if (resp === 2) {
      pushBytes(L, r.value)
      return
    }
    lua_createtable(L, 0, 1)
    lua_createtable(L, 0, 2)
    pushBytes(L, r.value)
    lua_setfield(L, -2, STRING_FIELD)
    pushBytes(L, r.format)
    lua_setfield(L, -2, FORMAT_FIELD)
    lua_setfield(L, -2, VERBATIM_FIELD)
    return
  }
  if (r instanceof Bool) {
    if (resp === 2) lua_pushnumber(L, r.value ? 1 : 0)
    else lua_pushboolean(L, r.value)
    return
  }
  if (r instanceof Push) {
    pushArray(L, r.items, resp)
    return
  }
  lua_pushboolean(L, false)
}

function pushArray(L: LuaState, items: Reply[], resp: 2 | 3): void {
  lua_createtable(L, items.length, 0)
  for (let i = 0; i < items.length; i++) {
    pushReply(L, items[i]!, resp)
    // A RESP3 nil inside an array leaves a hole, as lua_settable with nil does.
    if (lua_type(L, -1) === LUA_TNIL) lua_pop(L, 1)
    else lua_rawseti(L, -2, i + 1)
  }
}

const { to_luastring } = fengari()
const OK_FIELD = to_luastring('ok')
const ERR_FIELD = to_luastring('err')
const IGNORE_STATS_FIELD = to_luastring('ignore_error_stats_update')
const DOUBLE_FIELD = to_luastring('double')
const MAP_FIELD = to_luastring('map')
const SET_FIELD = to_luastring('set')
const STRING_FIELD = to_luastring('string')
const FORMAT_FIELD = to_luastring('format')
const VERBATIM_FIELD = to_luastring('verbatim_string')
const BIG_FIELD = to_luastring('big_number')

/**
 * Redis's luaPushErrorBuff: `-CODE msg` keeps its code, anything else gets
 * `ERR `; trailing CR/LF trimmed. Pushes `{err = "CODE msg"}`.
 */
export function pushErrorTable(L: LuaState, text: string): void {
  lua_createtable(L, 0, 2)
  pushBytes(L, errorText(text))
  lua_setfield(L, -2, ERR_FIELD)
}

/** The `err` string luaPushErrorBuff makes of an error text. */
export function errorText(text: string): string {
  let code: string
  let msg: string
  if (text.charCodeAt(0) === 45) {
    const sp = text.indexOf(' ')
    if (sp < 0) {
      code = 'ERR'
      msg = text.slice(1)
    } else {
      code = text.slice(1, sp)
      msg = text.slice(sp + 1)
    }
  } else {
    code = 'ERR'
    msg = text
  }
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, '')
  return code + ' ' + msg
}

/** Reads a string field of the table at `idx` with rawget; undefined when absent or not a string. */
function rawStringField(L: LuaState, idx: number, field: Uint8Array): Uint8Array | undefined {
  lua_pushstring(L, field)
  lua_rawget(L, idx < 0 ? idx - 1 : idx)
  const t = lua_type(L, -1)
  const v = t === LUA_TSTRING ? lua_tolstring(L, -1) : undefined
  lua_pop(L, 1)
  return v
}

function latin(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('utf8')
}

function crlfToSpaces(s: string): string {
  return s.replace(/[\r\n]/g, ' ')
}

/**
 * Converts the Lua value on top of the stack into a reply, as Redis's
 * luaReplyToRedisReply does (lua.md §6), and pops it. `resp3Booleans` is true
 * once the script called `redis.setresp(3)`.
 *
 * Redis recurses; this walks with a stack of its own (a reply may nest about 8,000 levels, more than
 * JS frames allow), keeping the Lua stack exactly as the recursion would: each enclosing table stays
 * on it, with a map's or set's inner table and current key, so the depth where Redis's stack check
 * fails is the same.
 */
export function popReply(L: LuaState, resp3Booleans: boolean): Reply {
  const frames: Frame[] = []
  for (;;) {
    // Convert the value on top; an aggregate becomes a frame whose first element is then on top.
    let v = convertTop(L, resp3Booleans, frames)
    while (v !== PENDING) {
      const f = frames[frames.length - 1]
      if (f === undefined) return v
      f.out.push(v)
      v = advance(L, f)
      if (v !== PENDING) frames.pop()
    }
  }
}

const enum K {
  ARRAY,
  MAP,
  SET,
}

/** A table being converted: what it has produced so far and where it is. */
interface Frame {
  kind: K
  out: Reply[]
  /** Arrays: the next index. Maps: whether the entry's value is on top, its key converted. */
  j: number
}

/** Marks "an element is now on top of the Lua stack to convert" (a frame was started or advanced). */
const PENDING = Symbol('pending')

/** Converts and pops the value on top, or starts a frame for an array, map or set table. */
function convertTop(L: LuaState, r3: boolean, frames: Frame[]): Reply | typeof PENDING {
  // Redis's lua_checkstack(lua, 4) against 5.1's LUAI_MAXCSTACK, at every value.
  if (lua_gettop(L) + 4 > LUAI_MAXCSTACK) {
    lua_pop(L, 1)
    return new ReplyError('ERR reached lua stack limit')
  }
  const t = lua_type(L, -1)
  let out: Reply
  switch (t) {
    case LUA_TSTRING:
      out = bytesToArg(lua_tolstring(L, -1))
      break
    case LUA_TBOOLEAN: {
      const b = lua_toboolean(L, -1)
      out = r3 ? new Bool(b) : b ? 1 : null
      break
    }
    case LUA_TNUMBER:
      out = numberToInteger(lua_tonumber(L, -1))
      break
    case LUA_TTABLE: {
      const r = tableReply(L)
      if (r !== undefined) {
        out = r
        break
      }
      // An aggregate: its frame, then its first element.
      lua_pushstring(L, MAP_FIELD)
      lua_rawget(L, -2)
      let f: Frame
      if (lua_type(L, -1) === LUA_TTABLE) {
        lua_pushnil(L)
        f = { kind: K.MAP, out: [], j: 0 }
      } else {
        lua_pop(L, 1)
        lua_pushstring(L, SET_FIELD)
        lua_rawget(L, -2)
        if (lua_type(L, -1) === LUA_TTABLE) {
          lua_pushnil(L)
          f = { kind: K.SET, out: [], j: 0 }
        } else {
          lua_pop(L, 1)
          f = { kind: K.ARRAY, out: [], j: 1 }
        }
      }
      const first = advance(L, f)
      if (first === PENDING) frames.push(f)
      return first
    }
    default:
      out = null
  }
  lua_pop(L, 1)
  return out
}

/**
 * Puts a frame's next element on top of the Lua stack (PENDING), or ends the frame: pops what it
 * holds on the stack, its table included, and returns its reply.
 */
function advance(L: LuaState, f: Frame): Reply | typeof PENDING {
  if (f.kind === K.ARRAY) {
    lua_rawgeti(L, -1, f.j++)
    if (lua_type(L, -1) !== LUA_TNIL) return PENDING
    lua_pop(L, 2)
    return f.out
  }
  if (f.kind === K.MAP) {
    // Stack: table, map, key [, value]. After a key comes its value, already on top.
    if (f.j === 1) {
      f.j = 0
      return PENDING
    }
    if (lua_next(L, -2) !== 0) {
      lua_pushvalue(L, -2)
      f.j = 1
      return PENDING
    }
    lua_pop(L, 2)
    return new MapReply(f.out)
  }
  // Set: table, set, key. Members are the keys; the values are dropped.
  if (lua_next(L, -2) !== 0) {
    lua_pop(L, 1)
    lua_pushvalue(L, -1)
    return PENDING
  }
  lua_pop(L, 2)
  return new SetReply(f.out)
}

/**
 * The reply of a table that is not an aggregate (an error, status, double, big number or verbatim
 * table), or undefined for an array, map or set. Leaves the Lua stack as it found it.
 */
function tableReply(L: LuaState): Reply | undefined {
  if (!lua_checkstack(L, 4)) return new ReplyError('ERR reached lua stack limit')
  const err = rawStringField(L, -1, ERR_FIELD)
  if (err !== undefined) {
    const e = new ReplyError(crlfToSpaces(latin(err)))
    // An error table of redis.call/pcall: its error was counted when the command failed.
    lua_pushstring(L, IGNORE_STATS_FIELD)
    lua_rawget(L, -2)
    e.counted = lua_toboolean(L, -1)
    lua_pop(L, 1)
    return e
  }
  const ok = rawStringField(L, -1, OK_FIELD)
  if (ok !== undefined) return new Status(crlfToSpaces(latin(ok)))
  lua_pushstring(L, DOUBLE_FIELD)
  lua_rawget(L, -2)
  if (lua_type(L, -1) === LUA_TNUMBER) {
    const d = lua_tonumber(L, -1)
    lua_pop(L, 1)
    return new Double(d)
  }
  lua_pop(L, 1)
  const big = rawStringField(L, -1, BIG_FIELD)
  if (big !== undefined) return new BigNumber(crlfToSpaces(latin(big)))
  lua_pushstring(L, VERBATIM_FIELD)
  lua_rawget(L, -2)
  if (lua_type(L, -1) === LUA_TTABLE) {
    const format = rawStringField(L, -1, FORMAT_FIELD)
    if (format !== undefined) {
      const s = rawStringField(L, -1, STRING_FIELD)
      if (s !== undefined) {
        lua_pop(L, 1)
        return new Verbatim(latin(s), latin(format).slice(0, 3))
      }
    }
  }
  lua_pop(L, 1)
  return undefined
}

/** A command argument as Lua sees it in KEYS/ARGV. */
export function pushArgs(L: LuaState, args: Arg[]): void {
  lua_createtable(L, args.length, 0)
  for (let i = 0; i < args.length; i++) {
    pushBytes(L, args[i]!)
    lua_rawseti(L, -2, i + 1)
  }
}

export { NULL_ARRAY }
