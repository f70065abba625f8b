/**
 * Lua 5.1 on top of fengari's Lua 5.3: the globals and library functions a
 * Redis script can reach, with 5.1's behaviour where a script can tell the
 * difference (lua.md §11). Installed into a fresh state before the redis
 * table and the protection of the globals.
 */
import { Buffer } from 'node:buffer'
import process from 'node:process'
import { asciiBytes, fengari, formatG, formatLuaNumber, NEG_NAN, toExponentialC, toFixedC, type LuaState } from './fengari.js'
import { chunkId, checkLua51 } from './lua51.js'
import { argError, checkBytes, checkInt, lauxlib, latin1, fromLatin1, lua, luaError, optInt, toLong, to_luastring } from './libs/util.js'
import { strFind, strGmatch, strGsub, strMatch } from './libs/patterns.js'
import { crAsin, crCos, crSin } from '../types/geohash.js'

const { LUA_TNUMBER, LUA_TSTRING, LUA_TTABLE, LUA_TNIL, LUA_TBOOLEAN, LUA_TFUNCTION, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS } = lua

const s = to_luastring
const { pushOwned } = fengari()

function setField(L: LuaState, idx: number, name: string, fn: ((L: LuaState) => number) | null): void {
  if (fn === null) lua.lua_pushnil(L)
  else lua.lua_pushcfunction(L, fn)
  lua.lua_setfield(L, idx < 0 ? idx - 1 : idx, s(name))
}

function num(L: LuaState, v: number): number {
  lua.lua_pushnumber(L, v)
  return 1
}

/** Raises a string error without position information (as an error raised inside a C function of Redis's Lua). */
function luaErrorPlain(L: LuaState, msg: string): never {
  lua.lua_pushstring(L, s(msg))
  lua.lua_error(L)
  throw new Error('unreachable')
}

// ------------------------------------------------------------------ string.format (Lua 5.1)

const FLAGS = '-+ #0'

function pad(body: string, width: number, left: boolean, zero: boolean): string {
  if (body.length >= width) return body
  if (left) return body + ' '.repeat(width - body.length)
  if (zero) {
    const sign = body[0] === '-' || body[0] === '+' || body[0] === ' ' ? body[0] : ''
    const rest = sign ? body.slice(1) : body
    const pre = rest.startsWith('0x') || rest.startsWith('0X') ? rest.slice(0, 2) : ''
    return sign + pre + '0'.repeat(width - body.length) + rest.slice(pre.length)
  }
  return ' '.repeat(width - body.length) + body
}

/** A double converted to an unsigned 64-bit integer as GCC does on x86-64 (past 2^63 through a subtraction). */
function toULong(n: number): bigint {
  if (!(n >= 9223372036854775808)) return BigInt.asUintN(64, toLong(n))
  return BigInt.asUintN(64, toLong(n - 9223372036854775808) ^ -9223372036854775808n)
}

/** Text up to its first NUL, as C's strlen sees what sprintf wrote. */
const untilNul = (t: string): string => {
  const z = t.indexOf('\0')
  return z < 0 ? t : t.slice(0, z)
}

function fixed(n: number, prec: number): string {
  if (Math.abs(n) < 1e21) return toFixedC(n, prec)
  // Beyond toFixed's range: the integer part exactly, then the zero fraction.
  const int = BigInt(n).toString()
  return prec > 0 ? int + '.' + '0'.repeat(prec) : int
}

function exponential(n: number, prec: number, upper: boolean): string {
  const { mant, exp: x } = toExponentialC(n, prec)
  const ax = Math.abs(x)
  return mant + (upper ? 'E' : 'e') + (x < 0 ? '-' : '+') + (ax < 10 ? '0' + ax : String(ax))
}

function special(n: number, upper: boolean): string | undefined {
  if (n === Infinity) return upper ? 'INF' : 'inf'
  if (n === -Infinity) return upper ? '-INF' : '-inf'
  if (n !== n) {
    const t = formatLuaNumber(n)
    return upper ? t.toUpperCase() : t
  }
  return undefined
}

function formatFloat(conv: string, n: number, prec: number | undefined, flags: string): string {
  const upper = conv === 'E' || conv === 'G'
  let body = special(n, upper)
  if (body === undefined) {
    const p = prec ?? 6
    if (conv === 'f') body = fixed(n, p)
    else if (conv === 'e' || conv === 'E') body = exponential(n, p, upper)
    else if (n === 0) body = flags.includes('#') ? (0).toFixed(Math.max(0, (p || 1) - 1)) : '0'
    else body = formatG(n, p, flags.includes('#'), upper)
    if (Object.is(n, -0) && body[0] !== '-') body = '-' + body
  }
  if (body[0] !== '-') {
    if (flags.includes('+')) body = '+' + body
    else if (flags.includes(' ')) body = ' ' + body
  }
  return body
}

function quoted(b: Uint8Array): string {
  let out = '"'
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!
    if (c === 34) out += '\\"'
    else if (c === 92) out += '\\\\'
    else if (c === 10) out += '\\\n'
    else if (c === 13) out += '\\r'
    else if (c === 0) out += '\\000'
    else out += String.fromCharCode(c)
  }
  return out + '"'
}

function stringFormat(L: LuaState): number {
  const top = lua.lua_gettop(L)
  const fmt = latin1(checkBytes(L, 1))
  let arg = 1
  let out = ''
  for (let i = 0; i < fmt.length; ) {
    const ch = fmt[i]!
    if (ch !== '%') {
      out += ch
      i++
      continue
    }
    if (fmt[i + 1] === '%') {
      out += '%'
      i += 2
      continue
    }
    i++
    // Lua 5.1's scanformat: at most 5 flag chars, 2 width digits, 2 precision digits.
    let p = i
    while (p < fmt.length && FLAGS.includes(fmt[p]!)) p++
    if (p - i > FLAGS.length) luaError(L, 'invalid format (repeated flags)')
    const flags = fmt.slice(i, p)
    let w = ''
    while (p < fmt.length && fmt[p]! >= '0' && fmt[p]! <= '9' && w.length < 3) w += fmt[p++]
    let prec: number | undefined
    let pr = ''
    if (fmt[p] === '.') {
      p++
      while (p < fmt.length && fmt[p]! >= '0' && fmt[p]! <= '9' && pr.length < 3) pr += fmt[p++]
      prec = pr === '' ? 0 : Number(pr)
    }
    if (w.length > 2 || pr.length > 2) luaError(L, 'invalid format (width or precision too long)')
    const width = w === '' ? 0 : Number(w)
    const conv = fmt[p]
    i = p + 1
    if (++arg > top && conv !== undefined) argError(L, arg, 'no value')
    const left = flags.includes('-')
    const zero = flags.includes('0') && !left
    switch (conv) {
      case 'c': {
        const n = lauxlib.luaL_checknumber(L, arg)
        // C's (int) cast (out of range: INT_MIN), then sprintf's output up to its first NUL.
        const c = n > -2147483649 && n < 2147483648 ? Math.trunc(n) & 0xff : 0
        out += untilNul(pad(String.fromCharCode(c), width, left, false))
        break
      }
      case 'd':
      case 'i': {
        const v = toLong(lauxlib.luaL_checknumber(L, arg))
        let body = v < 0n ? '-' + (-v).toString() : v.toString()
        if (prec !== undefined) {
          const digits = body[0] === '-' ? body.slice(1) : body
          const padded = prec === 0 && v === 0n ? '' : digits.padStart(prec, '0')
          body = (v < 0n ? '-' : '') + padded
        }
        if (v >= 0n) {
          if (flags.includes('+')) body = '+' + body
          else if (flags.includes(' ')) body = ' ' + body
        }
        out += pad(body, width, left, zero && prec === undefined)
        break
      }
      case 'o':
      case 'u':
      case 'x':
      case 'X': {
        const v = toULong(lauxlib.luaL_checknumber(L, arg))
        let body = conv === 'o' ? v.toString(8) : conv === 'u' ? v.toString() : v.toString(16)
        if (conv === 'X') body = body.toUpperCase()
        if (prec !== undefined) body = prec === 0 && v === 0n ? '' : body.padStart(prec, '0')
        if (flags.includes('#') && v !== 0n) {
          if (conv === 'x') body = '0x' + body
          else if (conv === 'X') body = '0X' + body
          else if (conv === 'o' && body[0] !== '0') body = '0' + body
        }
        out += pad(body, width, left, zero && prec === undefined)
        break
      }
      case 'e':
      case 'E':
      case 'f':
      case 'g':
      case 'G': {
        const body = formatFloat(conv, lauxlib.luaL_checknumber(L, arg), prec, flags)
        out += pad(body, width, left, zero && Number.isFinite(lauxlib.luaL_checknumber(L, arg)))
        break
      }
      case 'q':
        out += quoted(checkBytes(L, arg))
        break
      case 's': {
        const t = lua.lua_type(L, arg)
        if (t !== LUA_TSTRING && t !== LUA_TNUMBER) {
          argError(L, arg, `string expected, got ${t === -1 ? 'no value' : Buffer.from(lua.lua_typename(L, t)).toString()}`)
        }
        const v = latin1(lauxlib.luaL_checklstring(L, arg))
        // A long string without a precision is kept whole; otherwise sprintf reads a C string.
        if (prec === undefined && v.length >= 100) out += v
        else out += pad(untilNul(v).slice(0, prec), width, left, false)
        break
      }
      default:
        luaError(L, `invalid option '%${conv ?? ''}' to 'format'`)
    }
  }
  lua.lua_pushstring(L, fromLatin1(out))
  return 1
}

// ------------------------------------------------------------------ other 5.1 functions

function tableGetn(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
  return num(L, lua.lua_rawlen(L, 1))
}

function tableMaxn(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
  let max = 0
  lua.lua_pushnil(L)
  while (lua.lua_next(L, 1) !== 0) {
    lua.lua_pop(L, 1)
    if (lua.lua_type(L, -1) === LUA_TNUMBER) {
      const v = lua.lua_tonumber(L, -1)
      if (v > max) max = v
    }
  }
  return num(L, max)
}

/** Lua 5.1's table.insert: raw access, any position (the table grows to it). */
function tableInsert(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
  let e = lua.lua_rawlen(L, 1) + 1
  let pos: number
  switch (lua.lua_gettop(L)) {
    case 2:
      pos = e
      break
    case 3:
      pos = checkInt(L, 2)
      if (pos > e) e = pos
      for (let i = e; i > pos; i--) {
        lua.lua_rawgeti(L, 1, i - 1)
        lua.lua_rawseti(L, 1, i)
      }
      break
    default:
      return luaError(L, "wrong number of arguments to 'insert'")
  }
  lua.lua_rawseti(L, 1, pos)
  return 0
}

/** Lua 5.1's table.remove: raw access; a position outside 1..#t removes nothing. */
function tableRemove(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
  const e = lua.lua_rawlen(L, 1)
  let pos = optInt(L, 2, e)
  if (!(1 <= pos && pos <= e)) return 0
  lua.lua_rawgeti(L, 1, pos)
  for (; pos < e; pos++) {
    lua.lua_rawgeti(L, 1, pos + 1)
    lua.lua_rawseti(L, 1, pos)
  }
  lua.lua_pushnil(L)
  lua.lua_rawseti(L, 1, e)
  return 1
}

/** Lua 5.1's unpack: raw reads. */
function unpack51(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
  let i = optInt(L, 2, 1)
  const e = lua.lua_isnoneornil(L, 3) ? lua.lua_rawlen(L, 1) : checkInt(L, 3)
  if (i > e) return 0
  const n = e - i + 1
  if (n <= 0 || n >= 8000000 || !lua.lua_checkstack(L, n)) return luaError(L, 'too many results to unpack')
  for (; i <= e; i++) lua.lua_rawgeti(L, 1, i)
  return n
}

/** table.concat with raw reads (5.1), in the wording of Redis's Lua. */
function tableConcat(L: LuaState): number {
  const sep = lua.lua_isnoneornil(L, 2) ? new Uint8Array(0) : lauxlib.luaL_checklstring(L, 2)
  lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
  let i = optInt(L, 3, 1)
  const last = lua.lua_isnoneornil(L, 4) ? lua.lua_rawlen(L, 1) : checkInt(L, 4)
  const parts: Uint8Array[] = []
  for (; i <= last; i++) {
    lua.lua_rawgeti(L, 1, i)
    const t = lua.lua_type(L, -1)
    if (t !== LUA_TSTRING && t !== LUA_TNUMBER) {
      luaError(L, `invalid value (${Buffer.from(lua.lua_typename(L, t)).toString()}) at index ${i} in table for 'concat'`)
    }
    parts.push(Uint8Array.from(lua.lua_tolstring(L, -1)))
    lua.lua_pop(L, 1)
    if (i < last && sep.length > 0) parts.push(sep)
  }
  const out = Buffer.concat(parts)
  lua.lua_pushlstring(L, out, out.length)
  return 1
}

/** ipairs' iterator in Lua 5.1: raw reads. */
function ipairsAux(L: LuaState): number {
  const i = checkInt(L, 2) + 1
  lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
  lua.lua_pushnumber(L, i)
  lua.lua_rawgeti(L, 1, i)
  return lua.lua_type(L, -1) === LUA_TNIL ? 0 : 2
}

/** Lua 5.1's string.char: each code must be a byte. */
function stringChar(L: LuaState): number {
  const n = lua.lua_gettop(L)
  const out = new Uint8Array(n)
  for (let i = 1; i <= n; i++) {
    const c = checkInt(L, i)
    if ((c & 0xff) !== c) argError(L, i, 'invalid value')
    out[i - 1] = c
  }
  lua.lua_pushlstring(L, out, n)
  return 1
}

/** table.sort of 5.1: its quicksort (middle pivot, no randomisation), raw reads and writes. */
function tableSort(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
  const n = lua.lua_rawlen(L, 1)
  lauxlib.luaL_checkstack(L, 40, s(''))
  if (!lua.lua_isnoneornil(L, 2)) lauxlib.luaL_checktype(L, 2, LUA_TFUNCTION)
  lua.lua_settop(L, 2)
  auxSort(L, 1, n)
  return 0
}

/** sort_comp: the order function's verdict on the values at stack indexes a and b, or a < b. */
function sortComp(L: LuaState, a: number, b: number): boolean {
  if (lua.lua_isnil(L, 2)) return lua.lua_compare(L, a, b, lua.LUA_OPLT)
  lua.lua_pushvalue(L, 2)
  lua.lua_pushvalue(L, a - 1)
  lua.lua_pushvalue(L, b - 2)
  lua.lua_call(L, 2, 1)
  const r = lua.lua_toboolean(L, -1)
  lua.lua_pop(L, 1)
  return r
}

function set2(L: LuaState, i: number, j: number): void {
  lua.lua_rawseti(L, 1, i)
  lua.lua_rawseti(L, 1, j)
}

function auxSort(L: LuaState, l: number, u: number): void {
  while (l < u) {
    lua.lua_rawgeti(L, 1, l)
    lua.lua_rawgeti(L, 1, u)
    if (sortComp(L, -1, -2)) set2(L, l, u)
    else lua.lua_pop(L, 2)
    if (u - l === 1) break
    let i = Math.floor((l + u) / 2)
    lua.lua_rawgeti(L, 1, i)
    lua.lua_rawgeti(L, 1, l)
    if (sortComp(L, -2, -1)) set2(L, i, l)
    else {
      lua.lua_pop(L, 1)
      lua.lua_rawgeti(L, 1, u)
      if (sortComp(L, -1, -2)) set2(L, i, u)
      else lua.lua_pop(L, 2)
    }
    if (u - l === 2) break
    lua.lua_rawgeti(L, 1, i) // pivot
    lua.lua_pushvalue(L, -1)
    lua.lua_rawgeti(L, 1, u - 1)
    set2(L, i, u - 1)
    i = l
    let j = u - 1
    for (;;) {
      for (;;) {
        lua.lua_rawgeti(L, 1, ++i)
        if (!sortComp(L, -1, -2)) break
        if (i > u) luaError(L, 'invalid order function for sorting')
        lua.lua_pop(L, 1)
      }
      for (;;) {
        lua.lua_rawgeti(L, 1, --j)
        if (!sortComp(L, -3, -1)) break
        if (j < l) luaError(L, 'invalid order function for sorting')
        lua.lua_pop(L, 1)
      }
      if (j < i) {
        lua.lua_pop(L, 3)
        break
      }
      set2(L, i, j)
    }
    lua.lua_rawgeti(L, 1, u - 1)
    lua.lua_rawgeti(L, 1, i)
    set2(L, u - 1, i)
    if (i - l < u - i) {
      j = l
      i = i - 1
      l = i + 2
    } else {
      j = i + 1
      i = u
      u = j - 2
    }
    auxSort(L, j, i)
  }
}

/** select of 5.1: a C-int index (select(2^32 + 1, ...) is select(1, ...)). */
function luaSelect(L: LuaState): number {
  const n = lua.lua_gettop(L)
  if (lua.lua_type(L, 1) === LUA_TSTRING && (lua.lua_tolstring(L, 1) as Uint8Array)[0] === 35) {
    lua.lua_pushnumber(L, n - 1)
    return 1
  }
  let i = checkInt(L, 1)
  if (i < 0) i = n + i
  else if (i > n) i = n
  if (i < 1) argError(L, 1, 'index out of range')
  return n - i
}

function tableForeachi(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
  lauxlib.luaL_checktype(L, 2, LUA_TFUNCTION)
  const n = lua.lua_rawlen(L, 1)
  for (let i = 1; i <= n; i++) {
    lua.lua_pushvalue(L, 2)
    lua.lua_pushnumber(L, i)
    lua.lua_rawgeti(L, 1, i)
    lua.lua_call(L, 2, 1)
    if (lua.lua_type(L, -1) !== LUA_TNIL) return 1
    lua.lua_pop(L, 1)
  }
  return 0
}

function tableForeach(L: LuaState): number {
  lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
  lauxlib.luaL_checktype(L, 2, LUA_TFUNCTION)
  lua.lua_pushnil(L)
  while (lua.lua_next(L, 1) !== 0) {
    lua.lua_pushvalue(L, 2)
    lua.lua_pushvalue(L, -3)
    lua.lua_pushvalue(L, -3)
    lua.lua_call(L, 2, 1)
    if (lua.lua_type(L, -1) !== LUA_TNIL) return 1
    lua.lua_pop(L, 2)
  }
  return 0
}

/** frexp of a finite, non-zero x (the caller hands back 0, infinities and NaN as they are). */
function frexp(x: number): [number, number] {
  let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1)
  let m = x * 2 ** -e
  while (Math.abs(m) < 0.5) {
    m *= 2
    e--
  }
  while (Math.abs(m) >= 1) {
    m /= 2
    e++
  }
  return [m, e]
}

function ldexp(m: number, e: number): number {
  // Zero, infinities and NaN come back as they are; past ±2200 any other value has saturated.
  if (m === 0 || !Number.isFinite(m)) return m
  e = Math.max(-2200, Math.min(2200, e))
  // Split the power so intermediate results neither overflow nor underflow early.
  const steps = Math.min(3, Math.ceil(Math.abs(e) / 1023))
  let r = m
  for (let i = 0; i < steps; i++) r *= 2 ** Math.floor((e + i) / steps)
  return r
}

/** An upvalue index of `f` named `_ENV`, or 0 when it has none. */
function envUpvalue(L: LuaState, fidx: number): number {
  for (let i = 1; ; i++) {
    const name = lua.lua_getupvalue(L, fidx, i)
    if (name === null || name === undefined) return 0
    lua.lua_pop(L, 1)
    if (Buffer.from(name).toString() === '_ENV') return i
  }
}

/** Pushes the function getfenv/setfenv address (a level or a function). */
function fenvFunction(L: LuaState, name: string): boolean {
  if (lua.lua_type(L, 1) === LUA_TFUNCTION) {
    lua.lua_pushvalue(L, 1)
    return true
  }
  const level = lua.lua_isnone(L, 1) ? 1 : checkInt(L, 1)
  if (level < 0) argError(L, 1, 'level must be non-negative')
  if (level === 0) return false
  const ar = new lua.lua_Debug()
  if (!lua.lua_getstack(L, level, ar)) argError(L, 1, 'invalid level')
  lua.lua_getinfo(L, s('f'), ar)
  if (lua.lua_type(L, -1) !== LUA_TFUNCTION) luaError(L, `no function environment for '${name}'`)
  return true
}

function pushGlobals(L: LuaState): void {
  lua.lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS)
}

function getfenv(L: LuaState): number {
  if (!fenvFunction(L, 'getfenv')) {
    pushGlobals(L)
    return 1
  }
  const f = lua.lua_gettop(L)
  const up = lua.lua_iscfunction(L, f) ? 0 : envUpvalue(L, f)
  if (up === 0) pushGlobals(L)
  else lua.lua_getupvalue(L, f, up)
  return 1
}

function setfenv(L: LuaState): number {
  lauxlib.luaL_checktype(L, 2, LUA_TTABLE)
  if (!fenvFunction(L, 'setfenv')) luaError(L, "'setfenv' cannot change environment of given object")
  const f = lua.lua_gettop(L)
  const up = lua.lua_iscfunction(L, f) ? 0 : envUpvalue(L, f)
  if (up === 0) luaError(L, "'setfenv' cannot change environment of given object")
  lua.lua_pushvalue(L, 2)
  lua.lua_setupvalue(L, f, up)
  return 1
}

function newproxy(L: LuaState): number {
  lua.lua_settop(L, 1)
  lua.lua_newuserdata(L, 0)
  if (lua.lua_toboolean(L, 1) === false) return 1
  if (lua.lua_type(L, 1) === LUA_TBOOLEAN) {
    lua.lua_createtable(L, 0, 0)
  } else {
    if (lua.lua_getmetatable(L, 1) === 0) argError(L, 1, 'boolean or proxy expected')
  }
  lua.lua_setmetatable(L, 2)
  return 1
}

/** A stand-in for the Lua heap size (KB) gcinfo/collectgarbage("count") report; fengari has no GC control. */
function heapKb(): number {
  return Math.round(process.memoryUsage().heapUsed / 1024 / 1024) || 1
}

const GC_OPTS = ['stop', 'restart', 'collect', 'count', 'step', 'setpause', 'setstepmul']

function collectgarbage(L: LuaState): number {
  const opt = lua.lua_isnoneornil(L, 1) ? 'collect' : latin1(checkBytes(L, 1))
  if (!GC_OPTS.includes(opt)) argError(L, 1, `invalid option '${opt}'`)
  if (opt === 'count') return num(L, heapKb())
  if (opt === 'step') {
    lua.lua_pushboolean(L, false)
    return 1
  }
  return num(L, 0)
}

const MAX_U64 = 0xffffffffffffffffn
const C_BLANKS = ' \t\n\v\f\r'

/**
 * C's strtoul on a 64-bit system as Lua 5.1's tonumber(s, base) uses it: the whole string (blanks
 * around allowed) must be read, or null. A minus sign negates modulo 2^64; overflow gives 2^64 - 1.
 */
function strtoul(str: string, base: number): number | null {
  let i = 0
  while (i < str.length && C_BLANKS.includes(str[i]!)) i++
  let neg = false
  if (str[i] === '+' || str[i] === '-') neg = str[i++] === '-'
  const digit = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 122 ? c - 87 : c >= 65 && c <= 90 ? c - 55 : 99)
  if (base === 16 && str[i] === '0' && (str[i + 1] === 'x' || str[i + 1] === 'X') && i + 2 < str.length && digit(str.charCodeAt(i + 2)) < 16) i += 2
  const b = BigInt(base)
  let n = 0n
  let any = false
  let over = false
  for (; i < str.length; i++) {
    const d = digit(str.charCodeAt(i))
    if (d >= base) break
    any = true
    if (!over && (n = n * b + BigInt(d)) > MAX_U64) over = true
  }
  if (!any) return null
  while (i < str.length && C_BLANKS.includes(str[i]!)) i++
  if (i < str.length) return null
  if (over) return Number(MAX_U64)
  return Number(neg ? (MAX_U64 + 1n - n) & MAX_U64 : n)
}


/**
 * The NaN glibc's libm gives (JS gives one whose sign tostring cannot rely on): a NaN argument
 * comes back as it was; an invalid operation gives the default NaN, sign set (`log(-1)`, `pow`),
 * or a positive one where glibc returns that (`log10(-1)`).
 */
function glibcNaN(r: number, a: number, b: number, negative: boolean): number {
  if (r === r) return r
  if (a !== a) return a
  if (b !== b) return b
  return negative ? NEG_NAN : NaN
}

const NAN_BITS = new Float64Array(1)
const NAN_HI = new Uint32Array(NAN_BITS.buffer)

/**
 * glibc's pow where the result is NaN: a NaN y gives x + y (x's NaN if both are), a NaN x comes
 * back as x·x, its sign flipped for a negative NaN to an odd power; a negative x to a fractional
 * power is invalid (the default NaN).
 */
function glibcPow(x: number, y: number): number {
  const r = Math.pow(x, y)
  if (r === r) {
    // An integer to a positive integer power past 2^53: V8 can be a bit off where glibc rounds the
    // exact value (37^12); the exact power has at most 1024 bits here, since r is finite.
    if (Number.isFinite(r) && Math.abs(r) > 9007199254740992 && Number.isInteger(x) && Number.isInteger(y) && y > 0) {
      return Number(BigInt(x) ** BigInt(y))
    }
    return r
  }
  if (y !== y) return x !== x ? x : y
  if (x !== x) {
    NAN_BITS[0] = x
    if (NAN_HI[1]! >>> 31 === 1 && Number.isInteger(y) && Math.abs(y) < 9007199254740992 && y % 2 !== 0) {
      NAN_HI[1] = NAN_HI[1]! ^ 0x80000000
      return NAN_BITS[0]!
    }
    return x
  }
  return NEG_NAN
}

/**
 * Applies the Lua 5.1 shape to the libraries loaded in `L` (base, table,
 * string, math, coroutine already open).
 */
export function installCompat(L: LuaState): void {
  pushGlobals(L)
  const G = lua.lua_gettop(L)
  // Functions Redis does not expose (or Lua 5.1 does not have).
  for (const name of ['print', 'dofile', 'loadfile', 'rawlen', 'require', 'package', 'utf8', 'io', 'os', 'debug']) {
    lua.lua_pushnil(L)
    lua.lua_setfield(L, G, s(name))
  }
  lua.lua_pushstring(L, s('Lua 5.1'))
  lua.lua_setfield(L, G, s('_VERSION'))

  // load / loadstring: text chunks only (binary chunks bypass the compiler's checks), checked
  // against Lua 5.1's grammar first (lua51.ts), as the chunks Redis compiles itself are.
  lua.lua_getfield(L, G, s('load'))
  const load = lua.lua_tocfunction(L, -1)
  lua.lua_pop(L, 1)
  /** Compiles `code` named `name` the 5.1 way: pushes the function, or nil and the message. */
  const load51 = (L: LuaState, code: Uint8Array, name: Uint8Array): number => {
    const r = checkLua51(code, chunkId(name))
    if (!r.ok) {
      lua.lua_pushnil(L)
      lua.lua_pushstring(L, r.error)
      return 2
    }
    lua.lua_settop(L, 0)
    lua.lua_pushstring(L, r.code)
    lua.lua_pushstring(L, name)
    lua.lua_pushstring(L, s('t'))
    return load(L)
  }
  // Lua 5.1: load takes a reader function, loadstring a string.
  setField(L, G, 'load', (L) => {
    lauxlib.luaL_checktype(L, 1, LUA_TFUNCTION)
    const name = lua.lua_isnoneornil(L, 2) ? s('=(load)') : lauxlib.luaL_checklstring(L, 2)
    // Read the whole chunk first (5.1's generic_reader): the grammar check needs all of it.
    const parts: Uint8Array[] = []
    let total = 0
    for (;;) {
      lua.lua_pushvalue(L, 1)
      lua.lua_call(L, 0, 1)
      const t = lua.lua_type(L, -1)
      if (t === LUA_TNIL) break
      if (t !== LUA_TSTRING && t !== LUA_TNUMBER) luaError(L, 'reader function must return a string')
      const piece = lua.lua_tolstring(L, -1)
      lua.lua_pop(L, 1)
      if (piece.length === 0) break
      parts.push(Uint8Array.from(piece))
      // A reader that never ends would exhaust memory (5.1 raises it as a memory error).
      if ((total += piece.length) > 1 << 28) luaErrorPlain(L, 'not enough memory')
    }
    lua.lua_settop(L, 0)
    return load51(L, Buffer.concat(parts), name)
  })
  setField(L, G, 'loadstring', (L) => {
    const code = lauxlib.luaL_checklstring(L, 1)
    return load51(L, code, lua.lua_isnoneornil(L, 2) ? code : lauxlib.luaL_checklstring(L, 2))
  })
  // Lua 5.1's error: numbers get the position prefix too.
  setField(L, G, 'error', (L) => {
    const level = optInt(L, 2, 1)
    lua.lua_settop(L, 1)
    const t = lua.lua_type(L, 1)
    if ((t === LUA_TSTRING || t === LUA_TNUMBER) && level > 0) {
      lauxlib.luaL_where(L, level)
      lua.lua_pushvalue(L, 1)
      lua.lua_concat(L, 2)
    }
    return lua.lua_error(L)
  })
  // tostring: numbers straight to 5.1 text (the general path goes through lua_pushfstring).
  lua.lua_getfield(L, G, s('tostring'))
  const tostr = lua.lua_tocfunction(L, -1)
  lua.lua_pop(L, 1)
  setField(L, G, 'tostring', (L) => {
    if (lua.lua_type(L, 1) === LUA_TNUMBER) {
      pushOwned(L, asciiBytes(formatLuaNumber(lua.lua_tonumber(L, 1))))
      return 1
    }
    return tostr(L)
  })
  // tonumber: Lua 5.1 converts with strtod, which also reads inf, infinity and nan (5.3 refuses
  // them); other bases go through strtoul (unsigned 64-bit), where 5.3 parses a signed integer.
  lua.lua_getfield(L, G, s('tonumber'))
  const tonum = lua.lua_tocfunction(L, -1)
  lua.lua_pop(L, 1)
  setField(L, G, 'tonumber', (L) => {
    const base = optInt(L, 2, 10)
    if (base !== 10) {
      const str = latin1(checkBytes(L, 1))
      if (base < 2 || base > 36) argError(L, 2, 'base out of range')
      const v = strtoul(str, base)
      if (v === null) lua.lua_pushnil(L)
      else lua.lua_pushnumber(L, v)
      return 1
    }
    lauxlib.luaL_checkany(L, 1)
    lua.lua_settop(L, 1)
    if (lua.lua_type(L, 1) !== LUA_TSTRING) return tonum(L)
    // "-0" is the integer 0 in 5.3, but the double -0 in 5.1 (tostring gives "-0").
    const n = tonum(L)
    if (lua.lua_type(L, -1) === LUA_TNUMBER && Object.is(lua.lua_tonumber(L, -1), 0) && /^[ \t\n\v\f\r]*-/.test(latin1(lua.lua_tostring(L, 1)))) {
      lua.lua_pop(L, 1)
      return num(L, -0)
    }
    return n
  })
  // setmetatable refuses read-only tables (Redis's patched lua_setmetatable).
  lua.lua_getfield(L, G, s('setmetatable'))
  const setmt = lua.lua_tocfunction(L, -1)
  lua.lua_pop(L, 1)
  setField(L, G, 'setmetatable', (L) => {
    if (lua.lua_type(L, 1) === LUA_TTABLE && (lua.lua_topointer(L, 1) as { readonly?: boolean }).readonly === true) {
      luaErrorPlain(L, 'Attempt to modify a readonly table')
    }
    return setmt(L)
  })


  // pairs and ipairs as 5.1: no __pairs, raw reads.
  lua.lua_getfield(L, G, s('next'))
  lua.lua_pushcclosure(
    L,
    (L: LuaState) => {
      lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
      lua.lua_pushvalue(L, lua.lua_upvalueindex(1))
      lua.lua_pushvalue(L, 1)
      lua.lua_pushnil(L)
      return 3
    },
    1,
  )
  lua.lua_setfield(L, G, s('pairs'))
  lua.lua_pushcfunction(L, ipairsAux)
  lua.lua_pushcclosure(
    L,
    (L: LuaState) => {
      lauxlib.luaL_checktype(L, 1, LUA_TTABLE)
      lua.lua_pushvalue(L, lua.lua_upvalueindex(1))
      lua.lua_pushvalue(L, 1)
      lua.lua_pushnumber(L, 0)
      return 3
    },
    1,
  )
  lua.lua_setfield(L, G, s('ipairs'))
  setField(L, G, 'unpack', unpack51)
  setField(L, G, 'select', luaSelect)
  // 5.1's assert: the message must be a string (or number), and a nil one is the default.
  setField(L, G, 'assert', (L) => {
    lauxlib.luaL_checkany(L, 1)
    if (!lua.lua_toboolean(L, 1)) lauxlib.luaL_error(L, s('%s'), lauxlib.luaL_optlstring(L, 2, s('assertion failed!')))
    return lua.lua_gettop(L)
  })

  setField(L, G, 'getfenv', getfenv)
  setField(L, G, 'setfenv', setfenv)
  setField(L, G, 'newproxy', newproxy)
  setField(L, G, 'gcinfo', (L) => num(L, heapKb()))
  setField(L, G, 'collectgarbage', collectgarbage)

  // table: 5.1's set.
  lua.lua_getfield(L, G, s('table'))
  for (const name of ['move', 'pack', 'unpack']) setField(L, -1, name, null)
  setField(L, -1, 'getn', tableGetn)
  setField(L, -1, 'sort', tableSort)
  setField(L, -1, 'insert', tableInsert)
  setField(L, -1, 'concat', tableConcat)
  setField(L, -1, 'remove', tableRemove)
  setField(L, -1, 'maxn', tableMaxn)
  setField(L, -1, 'foreach', tableForeach)
  setField(L, -1, 'foreachi', tableForeachi)
  setField(L, -1, 'setn', (L) => luaError(L, "'setn' is obsolete"))
  lua.lua_pop(L, 1)

  // string: 5.1's set, 5.1's pattern functions and format, rep without a separator.
  lua.lua_getfield(L, G, s('string'))
  for (const name of ['pack', 'packsize', 'unpack']) setField(L, -1, name, null)
  setField(L, -1, 'find', strFind)
  setField(L, -1, 'match', strMatch)
  setField(L, -1, 'gmatch', strGmatch)
  setField(L, -1, 'gfind', strGmatch)
  setField(L, -1, 'gsub', strGsub)
  setField(L, -1, 'format', stringFormat)
  setField(L, -1, 'char', stringChar)
  lua.lua_getfield(L, -1, s('rep'))
  const rep = lua.lua_tocfunction(L, -1)
  lua.lua_pop(L, 1)
  setField(L, -1, 'rep', (L) => {
    lauxlib.luaL_checklstring(L, 1)
    const n = checkInt(L, 2)
    lua.lua_settop(L, 1)
    lua.lua_pushnumber(L, Math.max(n, 0))
    return rep(L)
  })
  lua.lua_pop(L, 1)

  // math: 5.1's set.
  lua.lua_getfield(L, G, s('math'))
  for (const name of ['tointeger', 'type', 'ult', 'maxinteger', 'mininteger']) setField(L, -1, name, null)
  // Two-argument functions check their second argument first: 5.1 passes both checks as the
  // arguments of one C call, which GCC evaluates right to left.
  // The numbers reach `f` as arguments, not in an array: returned in one, they came back from
  // V8's optimized code as its canonical NaN, without the sign Lua prints ("-nan").
  const twoArgs = (L: LuaState, f: (a: number, b: number) => number): number => {
    const y = lauxlib.luaL_checknumber(L, 2)
    return num(L, f(lauxlib.luaL_checknumber(L, 1), y))
  }
  setField(L, -1, 'atan2', (L) => {
    return twoArgs(L, (y, x) => glibcNaN(Math.atan2(y, x), y, x, true))
  })
  // One-argument functions as libm computes them: a NaN argument comes back as it is, a domain
  // error gives the default NaN (a positive one from glibc's asin, acos and log10). sin, cos and asin
  // are correctly rounded, as glibc's nearly always are.
  const unary = (name: string, f: (x: number) => number, negativeNaN = true): void =>
    setField(L, -1, name, (L) => {
      const x = lauxlib.luaL_checknumber(L, 1)
      return num(L, glibcNaN(f(x), x, 0, negativeNaN))
    })
  unary('atan', Math.atan)
  unary('cosh', Math.cosh)
  unary('sinh', Math.sinh)
  unary('tanh', Math.tanh)
  unary('asin', crAsin, false)
  unary('acos', Math.acos, false)
  unary('sin', crSin)
  unary('cos', crCos)
  unary('tan', Math.tan)
  unary('sqrt', Math.sqrt)
  unary('exp', Math.exp)
  unary('floor', Math.floor)
  unary('ceil', Math.ceil)
  unary('deg', (x) => x / (Math.PI / 180))
  unary('rad', (x) => x * (Math.PI / 180))
  setField(L, -1, 'modf', (L) => {
    const x = lauxlib.luaL_checknumber(L, 1)
    const ip = x === x ? Math.trunc(x) : x
    // The fraction keeps the sign of x (modf(-3) is -3, -0; modf(-inf) is -inf, -0).
    const fp = x !== x ? x : !Number.isFinite(x) || x === ip ? (x < 0 || Object.is(x, -0) ? -0 : 0) : x - ip
    lua.lua_pushnumber(L, ip)
    lua.lua_pushnumber(L, fp)
    return 2
  })
  // min and max take numbers only (strings converted), keeping the first of equals and of NaNs.
  const extreme = (max: boolean) => (L: LuaState): number => {
    const n = lua.lua_gettop(L)
    let d = lauxlib.luaL_checknumber(L, 1)
    for (let i = 2; i <= n; i++) {
      const v = lauxlib.luaL_checknumber(L, i)
      if (max ? v > d : v < d) d = v
    }
    return num(L, d)
  }
  setField(L, -1, 'max', extreme(true))
  setField(L, -1, 'min', extreme(false))
  unary('log10', Math.log10, false)
  unary('log', Math.log)
  setField(L, -1, 'pow', (L) => {
    return twoArgs(L, glibcPow)
  })
  setField(L, -1, 'ldexp', (L) => {
    const e = checkInt(L, 2)
    return num(L, ldexp(lauxlib.luaL_checknumber(L, 1), e))
  })
  setField(L, -1, 'frexp', (L) => {
    const x = lauxlib.luaL_checknumber(L, 1)
    // Not through frexp's array: a NaN must keep its sign (see twoArgs).
    if (x === 0 || !Number.isFinite(x)) {
      lua.lua_pushnumber(L, x)
      lua.lua_pushnumber(L, 0)
      return 2
    }
    const [m, e] = frexp(x)
    lua.lua_pushnumber(L, m)
    lua.lua_pushnumber(L, e)
    return 2
  })
  setField(L, -1, 'fmod', (L) => {
    return twoArgs(L, (a, b) => glibcNaN(a % b, a, b, true))
  })
  lua.lua_getfield(L, -1, s('fmod'))
  lua.lua_setfield(L, -2, s('mod'))
  lua.lua_pop(L, 1)

  // coroutine: 5.1's set.
  lua.lua_getfield(L, G, s('coroutine'))
  setField(L, -1, 'isyieldable', null)
  lua.lua_pop(L, 1)

  lua.lua_pop(L, 1)
}

// ------------------------------------------------------------------ math.random (Redis's lrand48)

/** Redis's deterministic math.random / math.randomseed (POSIX lrand48), state shared by every script of a state. */
export class Lrand48 {
  private x = 0x1234abcd330en

  seed(s: number): void {
    const v = BigInt.asUintN(32, BigInt(Math.trunc(s) | 0))
    this.x = (v << 16n) | 0x330en
  }

  next(): number {
    this.x = (0x5deece66dn * this.x + 0xbn) & 0xffffffffffffn
    return Number(this.x >> 17n)
  }

  install(L: LuaState): void {
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS)
    lua.lua_getfield(L, -1, s('math'))
    setField(L, -1, 'random', (L) => {
      const r = (this.next() % 2147483647) / 2147483647
      switch (lua.lua_gettop(L)) {
        case 0:
          return num(L, r)
        case 1: {
          const u = Math.trunc(lauxlib.luaL_checknumber(L, 1))
          if (!(1 <= u)) argError(L, 1, 'interval is empty')
          return num(L, Math.floor(r * u) + 1)
        }
        case 2: {
          const l = Math.trunc(lauxlib.luaL_checknumber(L, 1))
          const u = Math.trunc(lauxlib.luaL_checknumber(L, 2))
          if (!(l <= u)) argError(L, 2, 'interval is empty')
          return num(L, Math.floor(r * (u - l + 1)) + l)
        }
        default:
          return luaError(L, 'wrong number of arguments')
      }
    })
    setField(L, -1, 'randomseed', (L) => {
      this.seed(lauxlib.luaL_checknumber(L, 1))
      return 0
    })
    lua.lua_pop(L, 2)
  }
}

export { LUA_TSTRING }
