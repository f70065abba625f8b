/**
 * The `cmsgpack` library as Redis bundles it (lua-cmsgpack 0.4.0):
 * `pack(...)`, `unpack(s)`, `unpack_one(s [, offset])`,
 * `unpack_limit(s, limit [, offset])`. Wire-compatible with other MessagePack
 * implementations (msgpackr, msgpack-lite): every standard type decodes; Lua
 * values encode to the smallest representation, as lua-cmsgpack does.
 */
import type { LuaState } from '../fengari.js'
import { argError, checkBytes, lauxlib, lua, luaError, newLib, to_luastring } from './util.js'

const { LUA_TNIL, LUA_TBOOLEAN, LUA_TNUMBER, LUA_TSTRING, LUA_TTABLE } = lua

/** Tables nested deeper than this are packed as nil, as lua-cmsgpack does. */
const MAX_NESTING = 16

/**
 * Lua 5.1's LUAI_MAXCSTACK: the most values a C function's frame may hold. Decoding keeps each
 * open array (table and index) and map (table and key) on the stack, so nesting ends near 4,000
 * levels with 5.1's `stack overflow (...)` errors. fengari's own limit is far higher; the check is
 * made here so the same input fails the same way (and long before the JS stack would).
 */
const MAXCSTACK = 8000

/** Lua 5.1's luaL_checkstack: room for `n` more values in the current frame, or `stack overflow (msg)`. */
function checkStack51(L: LuaState, n: number, msg: string): void {
  if (lua.lua_gettop(L) + n > MAXCSTACK) luaError(L, `stack overflow (${msg})`)
  lauxlib.luaL_checkstack(L, n, msg)
}

class Buf {
  b = new Uint8Array(64)
  n = 0
  need(k: number): void {
    if (this.n + k <= this.b.length) return
    let cap = this.b.length * 2
    while (cap < this.n + k) cap *= 2
    const nb = new Uint8Array(cap)
    nb.set(this.b.subarray(0, this.n))
    this.b = nb
  }
  u8(v: number): void {
    this.need(1)
    this.b[this.n++] = v
  }
  be(v: number, bytes: number): void {
    this.need(bytes)
    for (let i = bytes - 1; i >= 0; i--) this.b[this.n++] = Math.floor(v / 2 ** (8 * i)) & 0xff
  }
  big(v: bigint): void {
    this.need(8)
    const u = BigInt.asUintN(64, v)
    for (let i = 7; i >= 0; i--) this.b[this.n++] = Number((u >> BigInt(8 * i)) & 0xffn)
  }
  raw(u: Uint8Array): void {
    this.need(u.length)
    this.b.set(u, this.n)
    this.n += u.length
  }
}

const F32 = new Float32Array(1)
const DV = new DataView(new ArrayBuffer(8))

function encodeNumber(buf: Buf, n: number): void {
  // Integral values that survive a round trip through int64 pack as integers.
  if (Number.isFinite(n) && Math.trunc(n) === n && n >= -9223372036854775808 && n < 9223372036854775808) {
    if (n >= 0) {
      if (n <= 127) buf.u8(n)
      else if (n <= 0xff) {
        buf.u8(0xcc)
        buf.u8(n)
      } else if (n <= 0xffff) {
        buf.u8(0xcd)
        buf.be(n, 2)
      } else if (n <= 0xffffffff) {
        buf.u8(0xce)
        buf.be(n, 4)
      } else {
        buf.u8(0xcf)
        buf.big(BigInt(n))
      }
    } else {
      if (n >= -32) buf.u8(n & 0xff)
      else if (n >= -128) {
        buf.u8(0xd0)
        buf.u8(n & 0xff)
      } else if (n >= -32768) {
        buf.u8(0xd1)
        buf.be(n & 0xffff, 2)
      } else if (n >= -2147483648) {
        buf.u8(0xd2)
        buf.be(n >>> 0, 4)
      } else {
        buf.u8(0xd3)
        buf.big(BigInt(n))
      }
    }
    return
  }
  F32[0] = n
  // As lua_cmsgpack: a float when the double survives the round trip (never for NaN).
  if (F32[0] === n) {
    buf.u8(0xca)
    DV.setFloat32(0, n)
    for (let i = 0; i < 4; i++) buf.u8(DV.getUint8(i))
  } else {
    buf.u8(0xcb)
    DV.setFloat64(0, n)
    for (let i = 0; i < 8; i++) buf.u8(DV.getUint8(i))
  }
}

function encodeBytes(buf: Buf, s: Uint8Array): void {
  const len = s.length
  if (len < 32) buf.u8(0xa0 | len)
  else if (len <= 0xff) {
    buf.u8(0xd9)
    buf.u8(len)
  } else if (len <= 0xffff) {
    buf.u8(0xda)
    buf.be(len, 2)
  } else {
    buf.u8(0xdb)
    buf.be(len, 4)
  }
  buf.raw(s)
}

/** table_is_an_array: positive integer keys 1..n with no holes (an empty table is an array). */
function arrayLength(L: LuaState, idx: number): number {
  let count = 0
  let max = 0
  lua.lua_pushnil(L)
  while (lua.lua_next(L, idx) !== 0) {
    lua.lua_pop(L, 1)
    if (lua.lua_type(L, -1) !== LUA_TNUMBER) {
      lua.lua_pop(L, 1)
      return -1
    }
    const k = lua.lua_tonumber(L, -1)
    if (!(k > 0) || Math.floor(k) !== k) {
      lua.lua_pop(L, 1)
      return -1
    }
    if (k > max) max = k
    count++
  }
  return max === count ? count : -1
}

function encodeValue(L: LuaState, buf: Buf, idx: number, level: number): void {
  switch (lua.lua_type(L, idx)) {
    case LUA_TSTRING:
      encodeBytes(buf, lua.lua_tolstring(L, idx))
      return
    case LUA_TBOOLEAN:
      buf.u8(lua.lua_toboolean(L, idx) ? 0xc3 : 0xc2)
      return
    case LUA_TNUMBER:
      encodeNumber(buf, lua.lua_tonumber(L, idx))
      return
    case LUA_TTABLE: {
      if (level >= MAX_NESTING || !lua.lua_checkstack(L, 3)) {
        buf.u8(0xc0)
        return
      }
      const t = lua.lua_absindex(L, idx)
      const len = arrayLength(L, t)
      if (len >= 0) {
        header(buf, len, 0x90, 0xdc, 0xdd)
        for (let j = 1; j <= len; j++) {
          lua.lua_rawgeti(L, t, j)
          encodeValue(L, buf, lua.lua_gettop(L), level + 1)
          lua.lua_pop(L, 1)
        }
        return
      }
      let n = 0
      lua.lua_pushnil(L)
      while (lua.lua_next(L, t) !== 0) {
        lua.lua_pop(L, 1)
        n++
      }
      header(buf, n, 0x80, 0xde, 0xdf)
      lua.lua_pushnil(L)
      while (lua.lua_next(L, t) !== 0) {
        const top = lua.lua_gettop(L)
        encodeValue(L, buf, top - 1, level + 1)
        encodeValue(L, buf, top, level + 1)
        lua.lua_pop(L, 1)
      }
      return
    }
    default:
      buf.u8(0xc0)
  }
}

function header(buf: Buf, n: number, fix: number, h16: number, h32: number): void {
  if (n < 16) buf.u8(fix | n)
  else if (n <= 0xffff) {
    buf.u8(h16)
    buf.be(n, 2)
  } else {
    buf.u8(h32)
    buf.be(n, 4)
  }
}

function pack(L: LuaState): number {
  const nargs = lua.lua_gettop(L)
  if (nargs === 0) argError(L, 0, 'MessagePack pack needs input.')
  if (!lua.lua_checkstack(L, nargs)) argError(L, 0, 'Too many arguments for MessagePack pack.')
  const buf = new Buf()
  for (let i = 1; i <= nargs; i++) encodeValue(L, buf, i, 0)
  lua.lua_pushstring(L, buf.b.subarray(0, buf.n))
  return 1
}

// ------------------------------------------------------------------ decode

const EOF = 1
const BADFMT = 2

class Cur {
  p: number
  err = 0
  constructor(
    readonly s: Uint8Array,
    start: number,
  ) {
    this.p = start
  }
  get left(): number {
    return this.s.length - this.p
  }
  has(n: number): boolean {
    if (this.s.length - this.p < n) {
      this.err = EOF
      return false
    }
    return true
  }
  be(n: number): number {
    let v = 0
    for (let i = 0; i < n; i++) v = v * 256 + this.s[this.p + i]!
    this.p += n
    return v
  }
}

const ARRAY = 1
const MAP = 2

/**
 * Decodes one value at the cursor onto the Lua stack, containers and all (lua-cmsgpack's
 * mp_decode_to_lua_type). Nesting is walked with an explicit stack rather than recursion, so its
 * depth is bounded by Lua 5.1's stack limit alone, never by the JS stack. On a format error or
 * short input it stops with `c.err` set.
 */
function decodeValue(L: LuaState, c: Cur): void {
  // Open containers, innermost last: kind, and values still to decode (a map counts keys and values).
  const kinds: number[] = []
  const left: number[] = []
  // An array's next index goes on the Lua stack before its value, as in lua-cmsgpack (the
  // nesting limit counts it).
  const index: number[] = []
  for (;;) {
    const opened = decodeHead(L, c)
    if (c.err) return
    if (opened > 0) {
      kinds.push(openedKind)
      left.push(openedKind === MAP ? opened * 2 : opened)
      index.push(1)
      if (openedKind === ARRAY) lua.lua_pushinteger(L, 1)
      continue
    }
    // A complete value is on top: store it in the containers it completes.
    for (;;) {
      const k = kinds.length - 1
      if (k < 0) return
      const n = --left[k]!
      if (kinds[k] === ARRAY) {
        // Stack: table, index, value.
        lua.lua_rawset(L, -3)
        if (n > 0) {
          lua.lua_pushinteger(L, ++index[k]!)
          break
        }
      } else {
        if (n % 2 === 1) break
        // Stack: table, key, value. A nil key cannot be stored: lua_settable raises Lua's runtime
        // error, which from C code carries no position.
        if (lua.lua_type(L, -2) === LUA_TNIL) {
          lua.lua_pushstring(L, to_luastring('table index is nil'))
          lua.lua_error(L)
        }
        lua.lua_rawset(L, -3)
        if (n > 0) break
      }
      kinds.pop()
      left.pop()
      index.pop()
    }
  }
}

/** The kind (ARRAY or MAP) of the container `decodeHead` last opened. */
let openedKind = 0

/**
 * Decodes the value or container header at the cursor. A scalar is pushed (returns 0); a container's
 * table is pushed and its length returned, with its kind in `openedKind` (an empty one returns 0,
 * complete as it is).
 */
function decodeHead(L: LuaState, c: Cur): number {
  if (!c.has(1)) return 0
  checkStack51(L, 1, 'too many return values at once; use unpack_one or unpack_limit instead.')
  const t = c.s[c.p]!
  const dv = new DataView(c.s.buffer, c.s.byteOffset, c.s.byteLength)
  if (t <= 0x7f) {
    lua.lua_pushnumber(L, t)
    c.p++
    return 0
  }
  if (t >= 0xe0) {
    lua.lua_pushnumber(L, t - 256)
    c.p++
    return 0
  }
  if ((t & 0xe0) === 0xa0) return str(L, c, 1, t & 0x1f)
  if ((t & 0xf0) === 0x90) return arr(L, c, 1, t & 0x0f)
  if ((t & 0xf0) === 0x80) return map(L, c, 1, t & 0x0f)
  switch (t) {
    case 0xc0:
      lua.lua_pushnil(L)
      c.p++
      return 0
    case 0xc2:
    case 0xc3:
      lua.lua_pushboolean(L, t === 0xc3)
      c.p++
      return 0
    case 0xca:
      if (!c.has(5)) return 0
      lua.lua_pushnumber(L, dv.getFloat32(c.p + 1))
      c.p += 5
      return 0
    case 0xcb:
      if (!c.has(9)) return 0
      lua.lua_pushnumber(L, dv.getFloat64(c.p + 1))
      c.p += 9
      return 0
    case 0xcc:
    case 0xcd:
    case 0xce: {
      const n = 1 << (t - 0xcc)
      if (!c.has(1 + n)) return 0
      c.p++
      lua.lua_pushnumber(L, c.be(n))
      return 0
    }
    case 0xcf:
      if (!c.has(9)) return 0
      lua.lua_pushnumber(L, Number(dv.getBigUint64(c.p + 1)))
      c.p += 9
      return 0
    case 0xd0:
      if (!c.has(2)) return 0
      lua.lua_pushnumber(L, dv.getInt8(c.p + 1))
      c.p += 2
      return 0
    case 0xd1:
      if (!c.has(3)) return 0
      lua.lua_pushnumber(L, dv.getInt16(c.p + 1))
      c.p += 3
      return 0
    case 0xd2:
      if (!c.has(5)) return 0
      lua.lua_pushnumber(L, dv.getInt32(c.p + 1))
      c.p += 5
      return 0
    case 0xd3:
      if (!c.has(9)) return 0
      lua.lua_pushnumber(L, Number(dv.getBigInt64(c.p + 1)))
      c.p += 9
      return 0
    // bin 8/16/32 (0xc4-0xc6) and ext types are not part of lua-cmsgpack 0.4.0: bad format, as in Redis.
    case 0xd9:
      return str(L, c, 2, -1)
    case 0xda:
      return str(L, c, 3, -2)
    case 0xdb:
      return str(L, c, 5, -4)
    case 0xdc:
      return arr(L, c, 3, -2)
    case 0xdd:
      return arr(L, c, 5, -4)
    case 0xde:
      return map(L, c, 3, -2)
    case 0xdf:
      return map(L, c, 5, -4)
  }
  c.err = BADFMT
  return 0
}

/** Reads a length: `fixed` ≥ 0 is the length itself (header 1 byte); negative is the byte count of a big-endian length. */
function lengthOf(c: Cur, hdr: number, fixed: number): number {
  if (fixed >= 0) {
    c.p += 1
    return fixed
  }
  if (!c.has(hdr)) return -1
  c.p++
  return c.be(-fixed)
}

function str(L: LuaState, c: Cur, hdr: number, fixed: number): number {
  const len = lengthOf(c, hdr, fixed)
  if (len < 0 || !c.has(len)) return 0
  lua.lua_pushstring(L, c.s.subarray(c.p, c.p + len))
  c.p += len
  return 0
}

/** An array header: its table pushed (lua-cmsgpack's mp_decode_to_lua_array checks the stack here); returns its length. */
function arr(L: LuaState, c: Cur, hdr: number, fixed: number): number {
  const len = lengthOf(c, hdr, fixed)
  if (len < 0) return 0
  lua.lua_createtable(L, 0, 0)
  checkStack51(L, 1, 'in function mp_decode_to_lua_array')
  openedKind = ARRAY
  return len
}

/** A map header: its table pushed; returns its number of pairs. */
function map(L: LuaState, c: Cur, hdr: number, fixed: number): number {
  const len = lengthOf(c, hdr, fixed)
  if (len < 0) return 0
  lua.lua_createtable(L, 0, 0)
  openedKind = MAP
  return len
}

function unpackFull(L: LuaState, limit: number, offset: number): number {
  const s = checkBytes(L, 1)
  const len = s.length
  const all = limit === 0 && offset === 0
  if (offset < 0 || limit < 0) {
    luaError(L, `Invalid request to unpack with offset of ${offset} and limit of ${len}.`)
  } else if (offset > len) {
    luaError(L, `Start offset ${offset} greater than input length ${len}.`)
  }
  if (all) limit = 2147483647
  const c = new Cur(s, offset)
  let cnt = 0
  for (; c.left > 0 && cnt < limit; cnt++) {
    decodeValue(L, c)
    if (c.err === EOF) luaError(L, 'Missing bytes in input.')
    else if (c.err === BADFMT) luaError(L, 'Bad data format in input.')
  }
  if (!all) {
    lauxlib.luaL_checkstack(L, 1, 'in function mp_unpack_full')
    lua.lua_pushnumber(L, c.left === 0 ? -1 : len - c.left)
    lua.lua_insert(L, -(cnt + 1))
    cnt++
  }
  return cnt
}

export function openCmsgpack(L: LuaState): void {
  newLib(
    L,
    {
      pack,
      unpack: (L) => unpackFull(L, 0, 0),
      unpack_one: (L) => {
        const offset = lauxlib.luaL_optinteger(L, 2, 0)
        lua.lua_settop(L, 1)
        return unpackFull(L, 1, offset)
      },
      unpack_limit: (L) => {
        const limit = lauxlib.luaL_checkinteger(L, 2)
        const offset = lauxlib.luaL_optinteger(L, 3, 0)
        lua.lua_settop(L, 1)
        return unpackFull(L, limit, offset)
      },
    },
    {
      _NAME: 'cmsgpack',
      _VERSION: 'lua-cmsgpack 0.4.0',
      _COPYRIGHT: 'Copyright (C) 2012, Salvatore Sanfilippo',
      _DESCRIPTION: 'MessagePack C implementation for Lua',
    },
  )
}
