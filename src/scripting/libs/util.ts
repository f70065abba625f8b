/** Small helpers shared by the JS-written Lua libraries. */
import { Buffer } from 'node:buffer'
import { fengari, type LuaState } from '../fengari.js'

export const F = fengari()
export const lua = F.lua
export const lauxlib = F.lauxlib
export const to_luastring = F.to_luastring

/** A library function written in JS: takes the state, returns the number of results. */
export type LuaFn = (L: LuaState) => number

/** Creates a table of functions (and optional plain values) and leaves it on the stack. */
export function newLib(L: LuaState, fns: Record<string, LuaFn>, values?: Record<string, string | number>): void {
  lua.lua_createtable(L, 0, Object.keys(fns).length + (values ? Object.keys(values).length : 0))
  for (const [name, fn] of Object.entries(fns)) {
    lua.lua_pushcfunction(L, fn)
    lua.lua_setfield(L, -2, to_luastring(name))
  }
  if (values) {
    for (const [name, v] of Object.entries(values)) {
      if (typeof v === 'number') lua.lua_pushnumber(L, v)
      else lua.lua_pushstring(L, to_luastring(v))
      lua.lua_setfield(L, -2, to_luastring(name))
    }
  }
}

/** The bytes C reads as a string: up to the first NUL. */
export function cString(u: Uint8Array): Uint8Array {
  const z = u.indexOf(0)
  return z < 0 ? u : u.subarray(0, z)
}

/** A double truncated to a 64-bit integer, as C's (long) cast on x86-64 does. */
export function toLong(n: number): bigint {
  if (!(n > -9223372036854775808 && n < 9223372036854775808)) return -9223372036854775808n
  return BigInt(Math.trunc(n))
}

/** luaL_checkint: C's (int) of the (long) of a double, so 2^32 + 1 is 1 and NaN or 1e100 is 0. */
export function checkInt(L: LuaState, arg: number): number {
  return Number(BigInt.asIntN(32, toLong(lauxlib.luaL_checknumber(L, arg))))
}

/** luaL_optint. */
export function optInt(L: LuaState, arg: number, def: number): number {
  return lua.lua_isnoneornil(L, arg) ? def : checkInt(L, arg)
}

/** Raises a Lua error with a message (luaL_error: position prefix of the calling Lua code). */
export function luaError(L: LuaState, msg: string): never {
  lauxlib.luaL_error(L, to_luastring(msg.replace(/%/g, '%%')))
  throw new Error('unreachable')
}

/** luaL_argerror. */
export function argError(L: LuaState, arg: number, msg: string): never {
  lauxlib.luaL_argerror(L, arg, to_luastring(msg.replace(/%/g, '%%')))
  throw new Error('unreachable')
}

/** The bytes of a string argument (numbers converted, as luaL_checklstring does). */
export function checkBytes(L: LuaState, arg: number): Uint8Array {
  return lauxlib.luaL_checklstring(L, arg)
}

/** Bytes as a latin1 JS string (one char per byte). */
export function latin1(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('latin1')
}

/** A latin1 JS string back to bytes. */
export function fromLatin1(s: string): Uint8Array {
  return Buffer.from(s, 'latin1')
}
