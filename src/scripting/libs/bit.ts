/**
 * The `bit` library (LuaBitOp 1.0 as Redis bundles it): 32-bit operations on
 * Lua numbers, results signed 32-bit.
 */
import type { LuaState } from '../fengari.js'
import { lauxlib, lua, newLib, to_luastring } from './util.js'

const F64 = new Float64Array(1)
const U32 = new Uint32Array(F64.buffer)

/**
 * LuaBitOp's number → int32 conversion: adding 2^52 + 2^51 rounds to an
 * integer (to nearest, ties to even) and leaves its low 32 bits in the low
 * word of the double.
 */
export function tobit(n: number): number {
  F64[0] = n + 6755399441055744
  return U32[0]! | 0
}

const arg = (L: LuaState, i: number): number => tobit(lauxlib.luaL_checknumber(L, i))

function ret(L: LuaState, v: number): number {
  lua.lua_pushnumber(L, v | 0)
  return 1
}

/** LuaBitOp's BIT_OP: the first argument, then the others from the last down (errors name the last bad one). */
function fold(op: (a: number, b: number) => number) {
  return (L: LuaState): number => {
    let r = arg(L, 1)
    for (let i = lua.lua_gettop(L); i > 1; i--) r = op(r, arg(L, i))
    return ret(L, r)
  }
}

const HEX = '0123456789abcdef'

export function openBit(L: LuaState): void {
  newLib(L, {
    tobit: (L) => ret(L, arg(L, 1)),
    bnot: (L) => ret(L, ~arg(L, 1)),
    band: fold((a, b) => a & b),
    bor: fold((a, b) => a | b),
    bxor: fold((a, b) => a ^ b),
    lshift: (L) => ret(L, arg(L, 1) << (arg(L, 2) & 31)),
    rshift: (L) => ret(L, arg(L, 1) >>> (arg(L, 2) & 31)),
    arshift: (L) => ret(L, arg(L, 1) >> (arg(L, 2) & 31)),
    rol: (L) => {
      const b = arg(L, 1)
      const n = arg(L, 2) & 31
      return ret(L, (b << n) | (b >>> (32 - n)))
    },
    ror: (L) => {
      const b = arg(L, 1)
      const n = arg(L, 2) & 31
      return ret(L, (b >>> n) | (b << (32 - n)))
    },
    bswap: (L) => {
      const b = arg(L, 1)
      return ret(L, ((b >>> 24) & 0xff) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24))
    },
    tohex: (L) => {
      let b = arg(L, 1)
      let n = lua.lua_isnone(L, 2) ? 8 : arg(L, 2)
      let upper = false
      if (n < 0) {
        n = -n
        upper = true
      }
      if (n > 8) n = 8
      let s = ''
      for (let i = 0; i < n; i++) {
        s = HEX[b & 15] + s
        b >>>= 4
      }
      lua.lua_pushstring(L, to_luastring(upper ? s.toUpperCase() : s))
      return 1
    },
  })
}
