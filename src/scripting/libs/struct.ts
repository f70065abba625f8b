/**
 * The `struct` library Redis bundles (Roberto Ierusalimschy's lua_struct.c):
 * `struct.pack(fmt, ...)`, `struct.unpack(fmt, s [, pos])`, `struct.size(fmt)`.
 * Integers are C `long` (64-bit), the native byte order little-endian, the
 * default alignment 1 (`!` sets it).
 */
import type { LuaState } from '../fengari.js'
import { argError, checkBytes, lauxlib, lua, luaError, newLib } from './util.js'

const LITTLE = 0
const BIG = 1
const MAXINTSIZE = 32
const MAXALIGN = 8

interface Header {
  endian: number
  align: number
}

interface Cursor {
  fmt: Uint8Array
  i: number
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57

function getnum(L: LuaState, f: Cursor, df: number): number {
  if (!isDigit(f.fmt[f.i])) return df
  let a = 0
  do {
    const d = f.fmt[f.i]! - 48
    if (a > Math.floor(2147483647 / 10) || a * 10 > 2147483647 - d) luaError(L, 'integral size overflow')
    a = a * 10 + d
    f.i++
  } while (isDigit(f.fmt[f.i]))
  return a
}

function optsize(L: LuaState, opt: number, f: Cursor): number {
  switch (String.fromCharCode(opt)) {
    case 'B':
    case 'b':
      return 1
    case 'H':
    case 'h':
      return 2
    case 'L':
    case 'l':
    case 'T':
      return 8
    case 'f':
      return 4
    case 'd':
      return 8
    case 'x':
      return 1
    case 'c':
      return getnum(L, f, 1)
    case 'i':
    case 'I': {
      const sz = getnum(L, f, 4)
      if (sz > MAXINTSIZE) luaError(L, `integral size ${sz} is larger than limit of ${MAXINTSIZE}`)
      return sz
    }
    default:
      return 0
  }
}

function gettoalign(len: number, h: Header, opt: number, size: number): number {
  if (size === 0 || opt === 99 /* c */) return 0
  if (size > h.align) size = h.align
  return (size - (len & (size - 1))) & (size - 1)
}

function controloptions(L: LuaState, opt: number, f: Cursor, h: Header): void {
  switch (opt) {
    case 32: // ' '
      return
    case 62: // '>'
      h.endian = BIG
      return
    case 60: // '<'
      h.endian = LITTLE
      return
    case 33: {
      // '!'
      const a = getnum(L, f, MAXALIGN)
      if (a === 0 || (a & (a - 1)) !== 0) luaError(L, `alignment ${a} is not a power of 2`)
      h.align = a
      return
    }
    default:
      argError(L, 1, `invalid format option '${String.fromCharCode(opt)}'`)
  }
}

const M64 = (1n << 64n) - 1n

function pack(L: LuaState): number {
  const f: Cursor = { fmt: checkBytes(L, 1), i: 0 }
  const h: Header = { endian: LITTLE, align: 1 }
  let arg = 2
  let total = 0
  // lua_struct's marker between the arguments and its buffer: the first missing argument is a nil.
  lua.lua_pushnil(L)
  const out: number[] = []
  const dv = new DataView(new ArrayBuffer(8))
  while (f.i < f.fmt.length) {
    const opt = f.fmt[f.i++]!
    let size = optsize(L, opt, f)
    let toalign = gettoalign(total, h, opt, size)
    total += toalign
    while (toalign-- > 0) out.push(0)
    switch (String.fromCharCode(opt)) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I': {
        const n = lauxlib.luaL_checknumber(L, arg++)
        let v = BigInt.asUintN(64, Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n) & M64
        const bytes: number[] = []
        for (let i = 0; i < size; i++) {
          bytes.push(Number(v & 0xffn))
          v >>= 8n
        }
        if (h.endian === BIG) bytes.reverse()
        out.push(...bytes)
        break
      }
      case 'x':
        out.push(0)
        break
      case 'f': {
        dv.setFloat32(0, lauxlib.luaL_checknumber(L, arg++), h.endian === LITTLE)
        for (let i = 0; i < 4; i++) out.push(dv.getUint8(i))
        break
      }
      case 'd': {
        dv.setFloat64(0, lauxlib.luaL_checknumber(L, arg++), h.endian === LITTLE)
        for (let i = 0; i < 8; i++) out.push(dv.getUint8(i))
        break
      }
      case 'c':
      case 's': {
        const s = checkBytes(L, arg++)
        if (size === 0) size = s.length
        if (s.length < size) argError(L, arg, 'string too short')
        for (let i = 0; i < size; i++) out.push(s[i]!)
        if (opt === 115 /* s */) {
          out.push(0)
          size++
        }
        break
      }
      default:
        controloptions(L, opt, f, h)
    }
    total += size
  }
  lua.lua_pushstring(L, Uint8Array.from(out))
  return 1
}

function getinteger(d: Uint8Array, pos: number, endian: number, signed: boolean, size: number): number {
  let l = 0n
  if (endian === BIG) {
    for (let i = 0; i < size; i++) l = ((l << 8n) | BigInt(d[pos + i]!)) & M64
  } else {
    for (let i = size - 1; i >= 0; i--) l = ((l << 8n) | BigInt(d[pos + i]!)) & M64
  }
  if (!signed) return Number(l)
  const bits = size * 8 - 1
  if (bits < 64) {
    const mask = (M64 << BigInt(bits)) & M64
    if (l & mask) l |= mask
  }
  return Number(BigInt.asIntN(64, l))
}

function unpack(L: LuaState): number {
  const f: Cursor = { fmt: checkBytes(L, 1), i: 0 }
  const data = checkBytes(L, 2)
  const ld = data.length
  let pos = lauxlib.luaL_optinteger(L, 3, 1)
  if (!(pos > 0)) argError(L, 3, 'offset must be 1 or greater')
  pos--
  const h: Header = { endian: LITTLE, align: 1 }
  let n = 0
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength)
  while (f.i < f.fmt.length) {
    const opt = f.fmt[f.i++]!
    let size = optsize(L, opt, f)
    pos += gettoalign(pos, h, opt, size)
    if (!(size <= ld && pos <= ld - size)) argError(L, 2, 'data string too short')
    lauxlib.luaL_checkstack(L, 2, 'too many results')
    switch (String.fromCharCode(opt)) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        lua.lua_pushnumber(L, getinteger(data, pos, h.endian, opt >= 97, size))
        n++
        break
      case 'x':
        break
      case 'f':
        lua.lua_pushnumber(L, dv.getFloat32(pos, h.endian === LITTLE))
        n++
        break
      case 'd':
        lua.lua_pushnumber(L, dv.getFloat64(pos, h.endian === LITTLE))
        n++
        break
      case 'c': {
        if (size === 0) {
          if (n === 0 || !lua.lua_isnumber(L, -1)) luaError(L, "format 'c0' needs a previous size")
          size = Math.trunc(lua.lua_tonumber(L, -1))
          lua.lua_pop(L, 1)
          n--
          if (!(size <= ld && pos <= ld - size)) argError(L, 2, 'data string too short')
        }
        lua.lua_pushstring(L, data.subarray(pos, pos + size))
        n++
        break
      }
      case 's': {
        const e = data.indexOf(0, pos)
        if (e < 0) luaError(L, 'unfinished string in data')
        size = e - pos + 1
        lua.lua_pushstring(L, data.subarray(pos, e))
        n++
        break
      }
      default:
        controloptions(L, opt, f, h)
    }
    pos += size
  }
  lua.lua_pushnumber(L, pos + 1)
  return n + 1
}

function size(L: LuaState): number {
  const f: Cursor = { fmt: checkBytes(L, 1), i: 0 }
  const h: Header = { endian: LITTLE, align: 1 }
  let pos = 0
  while (f.i < f.fmt.length) {
    const opt = f.fmt[f.i++]!
    const sz = optsize(L, opt, f)
    pos += gettoalign(pos, h, opt, sz)
    if (opt === 115) argError(L, 1, "option 's' has no fixed size")
    else if (opt === 99 && sz === 0) argError(L, 1, "option 'c0' has no fixed size")
    const isAlnum = (opt >= 48 && opt <= 57) || (opt >= 65 && opt <= 90) || (opt >= 97 && opt <= 122)
    if (!isAlnum) controloptions(L, opt, f, h)
    pos += sz
  }
  lua.lua_pushnumber(L, pos)
  return 1
}

export function openStruct(L: LuaState): void {
  newLib(L, { pack, unpack, size })
}
