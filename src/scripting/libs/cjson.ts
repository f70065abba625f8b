/**
 * The `cjson` library as Redis bundles it (lua-cjson 2.1.0): `%.14g` numbers,
 * `/` escaped as `\/`, empty tables encoded as `{}`, sparse-array rules,
 * `cjson.null`, and lua-cjson's error messages.
 */
import { Buffer } from 'node:buffer'
import { formatG } from '../fengari.js'
import type { LuaState } from '../fengari.js'
import { argError, checkBytes, cString, lauxlib, lua, luaError, to_luastring } from './util.js'

const {
  LUA_TNIL,
  LUA_TBOOLEAN,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  LUA_TLIGHTUSERDATA,
} = lua

/** The value `cjson.null` stands for (a light userdata, compared by identity). */
export const JSON_NULL = { cjsonNull: true }

interface Config {
  encodeSparseConvert: boolean
  encodeSparseRatio: number
  encodeSparseSafe: number
  encodeMaxDepth: number
  decodeMaxDepth: number
  encodeInvalidNumbers: boolean | 'null'
  decodeInvalidNumbers: boolean
  encodeKeepBuffer: boolean
  encodeNumberPrecision: number
}

function defaultConfig(): Config {
  return {
    encodeSparseConvert: false,
    encodeSparseRatio: 2,
    encodeSparseSafe: 10,
    encodeMaxDepth: 1000,
    decodeMaxDepth: 1000,
    encodeInvalidNumbers: false,
    decodeInvalidNumbers: true,
    encodeKeepBuffer: true,
    encodeNumberPrecision: 14,
  }
}

// ------------------------------------------------------------------ encode

const ESCAPES: Array<string | null> = new Array(256).fill(null)
for (let i = 0; i < 32; i++) ESCAPES[i] = '\\u' + i.toString(16).padStart(4, '0')
ESCAPES[8] = '\\b'
ESCAPES[9] = '\\t'
ESCAPES[10] = '\\n'
ESCAPES[12] = '\\f'
ESCAPES[13] = '\\r'
ESCAPES[34] = '\\"'
ESCAPES[47] = '\\/'
ESCAPES[92] = '\\\\'
ESCAPES[127] = '\\u007f'

class Out {
  parts: Uint8Array[] = []
  cur: number[] = []
  str(s: string): void {
    for (let i = 0; i < s.length; i++) this.cur.push(s.charCodeAt(i))
  }
  bytes(u: Uint8Array): void {
    for (let i = 0; i < u.length; i++) {
      const c = u[i]!
      const e = ESCAPES[c]
      if (e === null) this.cur.push(c)
      else this.str(e!)
    }
  }
  result(): Uint8Array {
    return Uint8Array.from(this.cur)
  }
}

function typeName(L: LuaState, idx: number): string {
  return F_to_js(lua.lua_typename(L, lua.lua_type(L, idx)))
}

function F_to_js(u: Uint8Array | string): string {
  return typeof u === 'string' ? u : Buffer.from(u).toString('latin1')
}

function encodeError(L: LuaState, idx: number, reason: string): never {
  luaError(L, `Cannot serialise ${typeName(L, idx)}: ${reason}`)
}

function appendNumber(L: LuaState, cfg: Config, out: Out, idx: number): void {
  const n = lua.lua_tonumber(L, idx)
  if (!Number.isFinite(n)) {
    if (cfg.encodeInvalidNumbers === false) encodeError(L, idx, 'must not be NaN or Inf')
    if (cfg.encodeInvalidNumbers === 'null') {
      out.str('null')
      return
    }
    out.str(n !== n ? 'nan' : n > 0 ? 'inf' : '-inf')
    return
  }
  if (n === 0) {
    out.str(Object.is(n, -0) ? '-0' : '0')
    return
  }
  out.str(formatG(n, cfg.encodeNumberPrecision))
}

/** lua_array_length: the array size, or -1 when the table is not an array. */
function arrayLength(L: LuaState, cfg: Config, idx: number): number {
  let max = 0
  let items = 0
  lua.lua_pushnil(L)
  while (lua.lua_next(L, idx) !== 0) {
    if (lua.lua_type(L, -2) === LUA_TNUMBER) {
      const k = lua.lua_tonumber(L, -2)
      if (Math.floor(k) === k && k >= 1) {
        if (k > max) max = k
        items++
        lua.lua_pop(L, 1)
        continue
      }
    }
    lua.lua_pop(L, 2)
    return -1
  }
  if (cfg.encodeSparseRatio > 0 && max > items * cfg.encodeSparseRatio && max > cfg.encodeSparseSafe) {
    if (!cfg.encodeSparseConvert) encodeError(L, idx, 'excessively sparse array')
    return -1
  }
  return max
}

function encodeValue(L: LuaState, cfg: Config, out: Out, idx: number, depth: number): void {
  switch (lua.lua_type(L, idx)) {
    case LUA_TSTRING:
      out.cur.push(34)
      out.bytes(lua.lua_tolstring(L, idx))
      out.cur.push(34)
      return
    case LUA_TNUMBER:
      appendNumber(L, cfg, out, idx)
      return
    case LUA_TBOOLEAN:
      out.str(lua.lua_toboolean(L, idx) ? 'true' : 'false')
      return
    case LUA_TTABLE: {
      depth++
      if (depth > cfg.encodeMaxDepth) luaError(L, `Cannot serialise, excessive nesting (${depth})`)
      lauxlib.luaL_checkstack(L, 3, 'Cannot serialise, excessive nesting')
      const t = lua.lua_absindex(L, idx)
      const len = arrayLength(L, cfg, t)
      if (len > 0) {
        out.cur.push(91)
        for (let i = 1; i <= len; i++) {
          if (i > 1) out.cur.push(44)
          lua.lua_rawgeti(L, t, i)
          encodeValue(L, cfg, out, lua.lua_gettop(L), depth)
          lua.lua_pop(L, 1)
        }
        out.cur.push(93)
        return
      }
      out.cur.push(123)
      let first = true
      lua.lua_pushnil(L)
      while (lua.lua_next(L, t) !== 0) {
        if (!first) out.cur.push(44)
        first = false
        const kt = lua.lua_type(L, -2)
        if (kt === LUA_TSTRING) {
          out.cur.push(34)
          out.bytes(lua.lua_tolstring(L, -2))
          out.str('":')
        } else if (kt === LUA_TNUMBER) {
          out.cur.push(34)
          appendNumber(L, cfg, out, -2)
          out.str('":')
        } else {
          encodeError(L, -2, 'table key must be a number or string')
        }
        encodeValue(L, cfg, out, lua.lua_gettop(L), depth)
        lua.lua_pop(L, 1)
      }
      out.cur.push(125)
      return
    }
    case LUA_TNIL:
      out.str('null')
      return
    case LUA_TLIGHTUSERDATA:
      if (lua.lua_touserdata(L, idx) === JSON_NULL) {
        out.str('null')
        return
      }
    // fall through
    default:
      encodeError(L, idx, 'type not supported')
  }
}

// ------------------------------------------------------------------ decode

const T_OBJ_BEGIN = 0
const T_OBJ_END = 1
const T_ARR_BEGIN = 2
const T_ARR_END = 3
const T_STRING = 4
const T_NUMBER = 5
const T_BOOLEAN = 6
const T_NULL = 7
const T_COLON = 8
const T_COMMA = 9
const T_END = 10
const T_ERROR = 12

const TOKEN_NAMES = [
  'T_OBJ_BEGIN',
  'T_OBJ_END',
  'T_ARR_BEGIN',
  'T_ARR_END',
  'T_STRING',
  'T_NUMBER',
  'T_BOOLEAN',
  'T_NULL',
  'T_COLON',
  'T_COMMA',
  'T_END',
  'T_WHITESPACE',
  'T_ERROR',
  'T_UNKNOWN',
]

interface Token {
  type: number
  index: number
  str?: Uint8Array
  num?: number
  bool?: boolean
  err?: string
}

class Parser {
  i = 0
  depth = 0
  constructor(
    readonly L: LuaState,
    readonly cfg: Config,
    readonly s: Uint8Array,
  ) {}

  next(): Token {
    const s = this.s
    while (this.i < s.length) {
      const c = s[this.i]!
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++
      else break
    }
    const index = this.i
    if (this.i >= s.length) return { type: T_END, index }
    const c = s[this.i]!
    switch (c) {
      case 123:
        this.i++
        return { type: T_OBJ_BEGIN, index }
      case 125:
        this.i++
        return { type: T_OBJ_END, index }
      case 91:
        this.i++
        return { type: T_ARR_BEGIN, index }
      case 93:
        this.i++
        return { type: T_ARR_END, index }
      case 58:
        this.i++
        return { type: T_COLON, index }
      case 44:
        this.i++
        return { type: T_COMMA, index }
      case 34:
        return this.string(index)
    }
    if (c === 45 || (c >= 48 && c <= 57) || this.isInvalidNumberStart(c)) return this.number(index)
    if (this.match('true')) return { type: T_BOOLEAN, index, bool: true }
    if (this.match('false')) return { type: T_BOOLEAN, index, bool: false }
    if (this.match('null')) return { type: T_NULL, index }
    return { type: T_ERROR, index, err: 'invalid token' }
  }

  private isInvalidNumberStart(c: number): boolean {
    if (!this.cfg.decodeInvalidNumbers) return false
    // lua-cjson accepts what strtod accepts: inf, nan, hex.
    const rest = Buffer.from(this.s.subarray(this.i, this.i + 4)).toString('latin1').toLowerCase()
    return c === 43 || rest.startsWith('inf') || rest.startsWith('nan')
  }

  private match(word: string): boolean {
    const s = this.s
    for (let k = 0; k < word.length; k++) if (s[this.i + k] !== word.charCodeAt(k)) return false
    this.i += word.length
    return true
  }

  private number(index: number): Token {
    const s = this.s
    let j = this.i
    while (j < s.length) {
      const c = s[j]!
      if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 101 || c === 69 || c === 120 || c === 88 || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 105 || c === 110 || c === 116 || c === 121 || c === 73 || c === 78 || c === 84 || c === 89) j++
      else break
    }
    const text = Buffer.from(s.subarray(this.i, j)).toString('latin1')
    const n = strtodPrefix(text, this.cfg.decodeInvalidNumbers)
    if (n === undefined || n.len === 0) return { type: T_ERROR, index, err: 'invalid number' }
    this.i += n.len
    return { type: T_NUMBER, index, num: n.value }
  }

  private string(index: number): Token {
    const s = this.s
    this.i++
    const out: number[] = []
    for (;;) {
      if (this.i >= s.length) return { type: T_ERROR, index: this.i, err: 'unexpected end of string' }
      const c = s[this.i]!
      if (c === 34) {
        this.i++
        break
      }
      if (c !== 92) {
        out.push(c)
        this.i++
        continue
      }
      const e = s[this.i + 1]
      switch (e) {
        case 34:
        case 92:
        case 47:
          out.push(e)
          this.i += 2
          break
        case 98:
          out.push(8)
          this.i += 2
          break
        case 102:
          out.push(12)
          this.i += 2
          break
        case 110:
          out.push(10)
          this.i += 2
          break
        case 114:
          out.push(13)
          this.i += 2
          break
        case 116:
          out.push(9)
          this.i += 2
          break
        case 117: {
          const errAt = this.i
          const cp = this.unicode()
          if (cp < 0) return { type: T_ERROR, index: errAt, err: 'invalid unicode escape code' }
          utf8Push(out, cp)
          break
        }
        default:
          return { type: T_ERROR, index: this.i, err: 'invalid escape code' }
      }
    }
    return { type: T_STRING, index, str: Uint8Array.from(out) }
  }

  private hex4(at: number): number {
    const s = this.s
    if (at + 4 > s.length) return -1
    let v = 0
    for (let k = 0; k < 4; k++) {
      const c = s[at + k]!
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
      if (d < 0) return -1
      v = v * 16 + d
    }
    return v
  }

  private unicode(): number {
    let cp = this.hex4(this.i + 2)
    if (cp < 0) return -1
    this.i += 6
    if (cp >= 0xdc00 && cp <= 0xdfff) return -1
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (this.s[this.i] !== 92 || this.s[this.i + 1] !== 117) return -1
      const lo = this.hex4(this.i + 2)
      if (lo < 0xdc00 || lo > 0xdfff) return -1
      this.i += 6
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00)
    }
    return cp
  }

  fail(expected: string, t: Token): never {
    const found = t.type === T_ERROR ? t.err! : TOKEN_NAMES[t.type]!
    luaError(this.L, `Expected ${expected} but found ${found} at character ${t.index + 1}`)
  }

  value(t: Token): void {
    const L = this.L
    switch (t.type) {
      case T_STRING:
        lua.lua_pushstring(L, t.str!)
        return
      case T_NUMBER:
        lua.lua_pushnumber(L, t.num!)
        return
      case T_BOOLEAN:
        lua.lua_pushboolean(L, t.bool!)
        return
      case T_NULL:
        lua.lua_pushlightuserdata(L, JSON_NULL)
        return
      case T_OBJ_BEGIN:
        this.object(t)
        return
      case T_ARR_BEGIN:
        this.array(t)
        return
      default:
        this.fail('value', t)
    }
  }

  private nest(t: Token): void {
    this.depth++
    if (this.depth > this.cfg.decodeMaxDepth) {
      luaError(this.L, `Found too many nested data structures (${this.depth}) at character ${t.index + 1}`)
    }
    lauxlib.luaL_checkstack(this.L, 2, 'too many nested data structures')
  }

  private object(open: Token): void {
    const L = this.L
    this.nest(open)
    lua.lua_createtable(L, 0, 0)
    let t = this.next()
    if (t.type === T_OBJ_END) {
      this.depth--
      return
    }
    for (;;) {
      if (t.type !== T_STRING) this.fail('object key string', t)
      lua.lua_pushstring(L, t.str!)
      t = this.next()
      if (t.type !== T_COLON) this.fail('colon', t)
      this.value(this.next())
      lua.lua_rawset(L, -3)
      t = this.next()
      if (t.type === T_OBJ_END) break
      if (t.type !== T_COMMA) this.fail('comma or object end', t)
      t = this.next()
    }
    this.depth--
  }

  private array(open: Token): void {
    const L = this.L
    this.nest(open)
    lua.lua_createtable(L, 0, 0)
    let t = this.next()
    if (t.type === T_ARR_END) {
      this.depth--
      return
    }
    for (let i = 1; ; i++) {
      this.value(t)
      lua.lua_rawseti(L, -2, i)
      t = this.next()
      if (t.type === T_ARR_END) break
      if (t.type !== T_COMMA) this.fail('comma or array end', t)
      t = this.next()
    }
    this.depth--
  }
}

function utf8Push(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp)
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63))
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63))
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63))
}

/** The longest prefix of `s` that C's strtod accepts, and its value. */
function strtodPrefix(s: string, invalidOk: boolean): { value: number; len: number } | undefined {
  if (invalidOk) {
    const m = /^[+-]?(inf(inity)?|nan)/i.exec(s)
    if (m) {
      const neg = s[0] === '-'
      const isNan = /nan/i.test(m[0])
      return { value: isNan ? NaN : neg ? -Infinity : Infinity, len: m[0].length }
    }
    const hx = /^[+-]?0[xX][0-9a-fA-F]+/.exec(s)
    if (hx) return { value: Number.parseInt(hx[0], 16), len: hx[0].length }
  }
  const m = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s)
  if (!m) return undefined
  return { value: Number(m[0]), len: m[0].length }
}

// ------------------------------------------------------------------ module

function optBool(L: LuaState, arg: number, name: string, current: boolean | 'null'): boolean | 'null' {
  if (lua.lua_isnoneornil(L, arg)) return current
  if (lua.lua_type(L, arg) === LUA_TBOOLEAN) return lua.lua_toboolean(L, arg)
  const s = Buffer.from(lauxlib.luaL_checklstring(L, arg)).toString('latin1')
  if (s === 'on') return true
  if (s === 'off') return false
  if (s === 'null' && name === 'encode_invalid_numbers') return 'null'
  argError(L, arg, `invalid option '${s}'`)
}

function pushBoolOpt(L: LuaState, v: boolean | 'null'): void {
  if (v === 'null') lua.lua_pushstring(L, to_luastring('null'))
  else lua.lua_pushboolean(L, v)
}

function optInt(L: LuaState, arg: number, min: number, max: number, current: number): number {
  if (lua.lua_isnoneornil(L, arg)) return current
  const n = lauxlib.luaL_checkinteger(L, arg)
  if (n < min || n > max) argError(L, arg, `expected integer between ${min} and ${max}`)
  return n
}

/** Pushes a new cjson module table (cjson.new() makes another with its own settings). */
export function openCjson(L: LuaState): void {
  const cfg = defaultConfig()
  const fns: Record<string, (L: LuaState) => number> = {
    encode: (L) => {
      if (lua.lua_gettop(L) !== 1) argError(L, 1, 'expected 1 argument')
      const out = new Out()
      encodeValue(L, cfg, out, 1, 0)
      lua.lua_pushstring(L, out.result())
      return 1
    },
    decode: (L) => {
      if (lua.lua_gettop(L) !== 1) argError(L, 1, 'expected 1 argument')
      const s = checkBytes(L, 1)
      // lua_cjson reads a C string: a NUL in the first two bytes means UTF-16/32, and any NUL ends the text.
      if (s.length >= 2 && (s[0] === 0 || s[1] === 0)) luaError(L, 'JSON parser does not support UTF-16 or UTF-32')
      const p = new Parser(L, cfg, cString(s))
      p.value(p.next())
      const end = p.next()
      if (end.type !== T_END) p.fail('the end', end)
      return 1
    },
    encode_sparse_array: (L) => {
      cfg.encodeSparseConvert = optBool(L, 1, 'encode_sparse_array', cfg.encodeSparseConvert) === true
      cfg.encodeSparseRatio = optInt(L, 2, 0, 2147483647, cfg.encodeSparseRatio)
      cfg.encodeSparseSafe = optInt(L, 3, 0, 2147483647, cfg.encodeSparseSafe)
      lua.lua_pushboolean(L, cfg.encodeSparseConvert)
      lua.lua_pushnumber(L, cfg.encodeSparseRatio)
      lua.lua_pushnumber(L, cfg.encodeSparseSafe)
      return 3
    },
    encode_max_depth: (L) => {
      cfg.encodeMaxDepth = optInt(L, 1, 1, 2147483647, cfg.encodeMaxDepth)
      lua.lua_pushnumber(L, cfg.encodeMaxDepth)
      return 1
    },
    decode_max_depth: (L) => {
      cfg.decodeMaxDepth = optInt(L, 1, 1, 2147483647, cfg.decodeMaxDepth)
      lua.lua_pushnumber(L, cfg.decodeMaxDepth)
      return 1
    },
    encode_number_precision: (L) => {
      cfg.encodeNumberPrecision = optInt(L, 1, 1, 14, cfg.encodeNumberPrecision)
      lua.lua_pushnumber(L, cfg.encodeNumberPrecision)
      return 1
    },
    encode_keep_buffer: (L) => {
      cfg.encodeKeepBuffer = optBool(L, 1, 'encode_keep_buffer', cfg.encodeKeepBuffer) === true
      lua.lua_pushboolean(L, cfg.encodeKeepBuffer)
      return 1
    },
    encode_invalid_numbers: (L) => {
      cfg.encodeInvalidNumbers = optBool(L, 1, 'encode_invalid_numbers', cfg.encodeInvalidNumbers)
      pushBoolOpt(L, cfg.encodeInvalidNumbers)
      return 1
    },
    decode_invalid_numbers: (L) => {
      cfg.decodeInvalidNumbers = optBool(L, 1, 'decode_invalid_numbers', cfg.decodeInvalidNumbers) === true
      lua.lua_pushboolean(L, cfg.decodeInvalidNumbers)
      return 1
    },
    new: (L) => {
      openCjson(L)
      return 1
    },
  }
  lua.lua_createtable(L, 0, 14)
  for (const [name, fn] of Object.entries(fns)) {
    lua.lua_pushcfunction(L, fn)
    lua.lua_setfield(L, -2, to_luastring(name))
  }
  lua.lua_pushlightuserdata(L, JSON_NULL)
  lua.lua_setfield(L, -2, to_luastring('null'))
  lua.lua_pushstring(L, to_luastring('cjson'))
  lua.lua_setfield(L, -2, to_luastring('_NAME'))
  lua.lua_pushstring(L, to_luastring('2.1.0'))
  lua.lua_setfield(L, -2, to_luastring('_VERSION'))
}
