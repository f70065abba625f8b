/**
 * Lua 5.1's pattern matching: `string.find`, `string.match`, `string.gmatch` and `string.gsub` as
 * Redis's Lua has them (lstrlib.c of 5.1), over a script's bytes. They differ from fengari's 5.3
 * versions where scripts notice:
 *  - an empty match right after a previous match counts (`gmatch('a,b', '([^,]*)')` gives
 *    `a`, ``, `b`, ``; `gsub` replaces there too);
 *  - `%` before a non-digit in a gsub replacement stands for that character (`%x` is `x`; a
 *    trailing `%` adds a NUL), where 5.3 raises an error;
 *  - the classes are 5.1's (`%z` matches NUL, `%g` is a plain `g`), patterns end at a NUL byte;
 *  - `find` with a start past the end searches from the end (`find('abc', '', 10)` is 4, 3);
 *  - the error messages are 5.1's (`invalid capture index`, with no index).
 *
 * @module
 */
import type { LuaState } from '../fengari.js'
import { isAlnum, isAlpha, isCntrl, isDigit, isLower, isPunct, isSpace, isUpper, isXdigit } from '../ctype.js'
import { argError, cString, lauxlib, lua, luaError, optInt, to_luastring } from './util.js'

const L_ESC = 37 // '%'
const MAXCAPTURES = 32
const CAP_UNFINISHED = -1
const CAP_POSITION = -2

/** Match steps between two calls of the state's hook (the busy-script limit), so a runaway pattern can be stopped. */
const HOOK_EVERY = 1 << 17

class MatchState {
  level = 0
  steps = 0
  readonly init = new Int32Array(MAXCAPTURES)
  readonly len = new Int32Array(MAXCAPTURES)
  constructor(
    readonly L: LuaState,
    /** The subject. */
    readonly s: Uint8Array,
    /** The pattern, up to its first NUL (C reads it as a C string). */
    readonly p: Uint8Array,
  ) {}
  /** Pattern byte at i, 0 past the end (the C string's terminator). */
  pc(i: number): number {
    return i < this.p.length ? this.p[i]! : 0
  }
}

function matchClass(c: number, cl: number): boolean {
  let res: boolean
  switch (cl | 0x20) {
    case 97: res = isAlpha(c); break // a
    case 99: res = isCntrl(c); break // c
    case 100: res = isDigit(c); break // d
    case 108: res = isLower(c); break // l
    case 112: res = isPunct(c); break // p
    case 115: res = isSpace(c); break // s
    case 117: res = isUpper(c); break // u
    case 119: res = isAlnum(c); break // w
    case 120: res = isXdigit(c); break // x
    case 122: res = c === 0; break // z
    default: return cl === c
  }
  return isLower(cl) ? res : !res
}

/** Index just past the single-character class at p. */
function classEnd(ms: MatchState, p: number): number {
  const c = ms.pc(p++)
  if (c === L_ESC) {
    if (p >= ms.p.length) luaError(ms.L, "malformed pattern (ends with '%')")
    return p + 1
  }
  if (c === 91) {
    // '['
    if (ms.pc(p) === 94) p++ // '^'
    do {
      if (p >= ms.p.length) luaError(ms.L, "malformed pattern (missing ']')")
      const cc = ms.p[p++]!
      if (cc === L_ESC && p < ms.p.length) p++
    } while (ms.pc(p) !== 93)
    return p + 1
  }
  return p
}

/** [set] at p..ec (ec: the closing ']'). */
function matchBracketClass(ms: MatchState, c: number, p: number, ec: number): boolean {
  let sig = true
  if (ms.pc(p + 1) === 94) {
    sig = false
    p++
  }
  while (++p < ec) {
    const pc = ms.pc(p)
    if (pc === L_ESC) {
      p++
      if (matchClass(c, ms.pc(p))) return sig
    } else if (ms.pc(p + 1) === 45 && p + 2 < ec) {
      p += 2
      if (pc <= c && c <= ms.pc(p)) return sig
    } else if (pc === c) return sig
  }
  return !sig
}

function singleMatch(ms: MatchState, c: number, p: number, ep: number): boolean {
  switch (ms.pc(p)) {
    case 46: return true // '.'
    case L_ESC: return matchClass(c, ms.pc(p + 1))
    case 91: return matchBracketClass(ms, c, p, ep - 1)
    default: return ms.pc(p) === c
  }
}

function matchBalance(ms: MatchState, s: number, p: number): number {
  if (p >= ms.p.length || p + 1 >= ms.p.length) luaError(ms.L, 'unbalanced pattern')
  const src = ms.s
  if (s >= src.length || src[s] !== ms.p[p]) return -1
  const b = ms.p[p]!
  const e = ms.p[p + 1]!
  let cont = 1
  while (++s < src.length) {
    const c = src[s]!
    if (c === e) {
      if (--cont === 0) return s + 1
    } else if (c === b) cont++
  }
  return -1
}

function maxExpand(ms: MatchState, s: number, p: number, ep: number): number {
  let i = 0
  while (s + i < ms.s.length && singleMatch(ms, ms.s[s + i]!, p, ep)) i++
  while (i >= 0) {
    const res = match(ms, s + i, ep + 1)
    if (res !== -1) return res
    i--
  }
  return -1
}

function minExpand(ms: MatchState, s: number, p: number, ep: number): number {
  for (;;) {
    const res = match(ms, s, ep + 1)
    if (res !== -1) return res
    if (s < ms.s.length && singleMatch(ms, ms.s[s]!, p, ep)) s++
    else return -1
  }
}

function startCapture(ms: MatchState, s: number, p: number, what: number): number {
  const level = ms.level
  if (level >= MAXCAPTURES) luaError(ms.L, 'too many captures')
  ms.init[level] = s
  ms.len[level] = what
  ms.level = level + 1
  const res = match(ms, s, p)
  if (res === -1) ms.level--
  return res
}

function endCapture(ms: MatchState, s: number, p: number): number {
  let l = ms.level - 1
  while (l >= 0 && ms.len[l] !== CAP_UNFINISHED) l--
  if (l < 0) luaError(ms.L, 'invalid pattern capture')
  ms.len[l] = s - ms.init[l]!
  const res = match(ms, s, p)
  if (res === -1) ms.len[l] = CAP_UNFINISHED
  return res
}

function checkCapture(ms: MatchState, l: number): number {
  l -= 49 // '1'
  if (l < 0 || l >= ms.level || ms.len[l] === CAP_UNFINISHED) luaError(ms.L, 'invalid capture index')
  return l
}

function matchCapture(ms: MatchState, s: number, l: number): number {
  l = checkCapture(ms, l)
  const start = ms.init[l]!
  // A position capture's length is negative: as an unsigned size it never fits.
  const len = ms.len[l]!
  if (len < 0 || ms.s.length - s < len) return -1
  for (let i = 0; i < len; i++) if (ms.s[start + i] !== ms.s[s + i]) return -1
  return s + len
}

/** 5.1's match: the end of a match of pattern[p..] at subject[s..], or -1. */
function match(ms: MatchState, s: number, p: number): number {
  if (++ms.steps === HOOK_EVERY) {
    // A backtracking pattern can run for very long inside this one library call: the count hook
    // that limits scripts (lua_sethook) runs from here too, and may raise its error.
    ms.steps = 0
    const L = ms.L
    if (typeof L.hook === 'function') L.hook(L, null)
  }
  for (;;) {
    const pc = ms.pc(p)
    switch (pc) {
      case 40: // '('
        if (ms.pc(p + 1) === 41) return startCapture(ms, s, p + 2, CAP_POSITION)
        return startCapture(ms, s, p + 1, CAP_UNFINISHED)
      case 41: // ')'
        return endCapture(ms, s, p + 1)
      case 0: // the pattern's end
        return s
      case 36: // '$'
        if (p + 1 === ms.p.length) return s === ms.s.length ? s : -1
        break
      case L_ESC: {
        const n = ms.pc(p + 1)
        if (n === 98) {
          // %b
          s = matchBalance(ms, s, p + 2)
          if (s === -1) return -1
          p += 4
          continue
        }
        if (n === 102) {
          // %f
          p += 2
          if (ms.pc(p) !== 91) luaError(ms.L, "missing '[' after '%f' in pattern")
          const ep = classEnd(ms, p)
          const previous = s === 0 ? 0 : ms.s[s - 1]!
          const current = s < ms.s.length ? ms.s[s]! : 0
          if (matchBracketClass(ms, previous, p, ep - 1) || !matchBracketClass(ms, current, p, ep - 1)) return -1
          p = ep
          continue
        }
        if (isDigit(n)) {
          s = matchCapture(ms, s, n)
          if (s === -1) return -1
          p += 2
          continue
        }
        break
      }
    }
    // A single-character item, maybe with a quantifier.
    const ep = classEnd(ms, p)
    const m = s < ms.s.length && singleMatch(ms, ms.s[s]!, p, ep)
    switch (ms.pc(ep)) {
      case 63: {
        // '?'
        if (m) {
          const res = match(ms, s + 1, ep + 1)
          if (res !== -1) return res
        }
        p = ep + 1
        continue
      }
      case 42: // '*'
        return maxExpand(ms, s, p, ep)
      case 43: // '+'
        return m ? maxExpand(ms, s + 1, p, ep) : -1
      case 45: // '-'
        return minExpand(ms, s, p, ep)
      default:
        if (!m) return -1
        s++
        p = ep
    }
  }
}

/**
 * Runs `fn` and turns a JS stack overflow (a pattern nested too deep to match recursively) into a
 * Lua error. Lua 5.1 itself has no limit there and overflows the C stack.
 */
function guarded<T>(L: LuaState, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof RangeError) luaError(L, 'pattern too complex')
    throw e
  }
}

function pushOneCapture(ms: MatchState, i: number, s: number, e: number): void {
  const L = ms.L
  if (i >= ms.level) {
    if (i === 0) lua.lua_pushstring(L, ms.s.subarray(s, e))
    else luaError(L, 'invalid capture index')
    return
  }
  const l = ms.len[i]!
  if (l === CAP_UNFINISHED) luaError(L, 'unfinished capture')
  if (l === CAP_POSITION) lua.lua_pushnumber(L, ms.init[i]! + 1)
  else lua.lua_pushstring(L, ms.s.subarray(ms.init[i]!, ms.init[i]! + l))
}

/** Pushes the captures (or the whole match when there are none and `s` is given); returns how many. */
function pushCaptures(ms: MatchState, s: number, e: number, whole: boolean): number {
  const n = ms.level === 0 && whole ? 1 : ms.level
  lauxlib.luaL_checkstack(ms.L, n, to_luastring('too many captures'))
  for (let i = 0; i < n; i++) pushOneCapture(ms, i, s, e)
  return n
}

/** Whether the pattern (up to its NUL) holds one of 5.1's SPECIALS `^$*+?.([%-`; without any, find searches plainly. */
function hasSpecials(p: Uint8Array): boolean {
  for (const c of p) if (c === 94 || c === 36 || c === 42 || c === 43 || c === 63 || c === 46 || c === 40 || c === 91 || c === 37 || c === 45) return true
  return false
}

/** lmemfind: where `p` first occurs in `s` from `init`, or -1. */
function memFind(s: Uint8Array, init: number, p: Uint8Array): number {
  if (p.length === 0) return init
  const last = s.length - p.length
  outer: for (let i = init; i <= last; i++) {
    for (let j = 0; j < p.length; j++) if (s[i + j] !== p[j]) continue outer
    return i
  }
  return -1
}

/** str_find_aux of 5.1. */
function findAux(L: LuaState, find: boolean): number {
  const s = lauxlib.luaL_checklstring(L, 1) as Uint8Array
  const pFull = lauxlib.luaL_checklstring(L, 2) as Uint8Array
  let init = lauxlib.luaL_optinteger(L, 3, 1) as number
  if (init < 0) init += s.length + 1
  init = Math.max(init, 0) - 1
  if (init < 0) init = 0
  else if (init > s.length) init = s.length
  const p = cString(pFull)
  if (find && (lua.lua_toboolean(L, 4) || !hasSpecials(p))) {
    const at = memFind(s, init, pFull)
    if (at !== -1) {
      lua.lua_pushnumber(L, at + 1)
      lua.lua_pushnumber(L, at + pFull.length)
      return 2
    }
  } else {
    return guarded(L, () => {
      const anchor = p[0] === 94
      const ms = new MatchState(L, s, anchor ? p.subarray(1) : p)
      let s1 = init
      do {
        ms.level = 0
        const res = match(ms, s1, 0)
        if (res !== -1) {
          if (find) {
            lua.lua_pushnumber(L, s1 + 1)
            lua.lua_pushnumber(L, res)
            return pushCaptures(ms, -1, 0, false) + 2
          }
          return pushCaptures(ms, s1, res, true)
        }
      } while (s1++ < s.length && !anchor)
      lua.lua_pushnil(L)
      return 1
    })
  }
  lua.lua_pushnil(L)
  return 1
}

export const strFind = (L: LuaState): number => findAux(L, true)
export const strMatch = (L: LuaState): number => findAux(L, false)

/** string.gmatch: an iterator over the matches, carrying its position in an upvalue. */
export function strGmatch(L: LuaState): number {
  lauxlib.luaL_checklstring(L, 1)
  lauxlib.luaL_checklstring(L, 2)
  lua.lua_settop(L, 2)
  lua.lua_pushnumber(L, 0)
  lua.lua_pushcclosure(L, gmatchAux, 3)
  return 1
}

function gmatchAux(L: LuaState): number {
  const s = lua.lua_tolstring(L, lua.lua_upvalueindex(1)) as Uint8Array
  const p = cString(lua.lua_tolstring(L, lua.lua_upvalueindex(2)) as Uint8Array)
  const start = lua.lua_tonumber(L, lua.lua_upvalueindex(3)) as number
  return guarded(L, () => {
    const ms = new MatchState(L, s, p)
    for (let src = start; src <= s.length; src++) {
      ms.level = 0
      const e = match(ms, src, 0)
      if (e !== -1) {
        // An empty match moves on by one.
        lua.lua_pushnumber(L, e === src ? e + 1 : e)
        lua.lua_replace(L, lua.lua_upvalueindex(3))
        return pushCaptures(ms, src, e, true)
      }
    }
    return 0
  })
}

/** string.gsub of 5.1. */
export function strGsub(L: LuaState): number {
  const src = lauxlib.luaL_checklstring(L, 1) as Uint8Array
  const pFull = lauxlib.luaL_checklstring(L, 2) as Uint8Array
  const tr = lua.lua_type(L, 3)
  const maxS = optInt(L, 4, src.length + 1)
  if (tr !== lua.LUA_TNUMBER && tr !== lua.LUA_TSTRING && tr !== lua.LUA_TFUNCTION && tr !== lua.LUA_TTABLE) {
    argError(L, 3, 'string/function/table expected')
  }
  let p = cString(pFull)
  const anchor = p[0] === 94
  if (anchor) p = p.subarray(1)
  const ms = new MatchState(L, src, p)
  const out: Uint8Array[] = []
  let n = 0
  let at = 0
  let copied = 0 // subject bytes before `copied` are in `out`
  guarded(L, () => {
    while (n < maxS) {
      ms.level = 0
      const e = match(ms, at, 0)
      if (e !== -1) {
        n++
        if (copied < at) out.push(src.subarray(copied, at))
        addValue(ms, out, at, e, tr)
        copied = e > at ? e : at
      }
      if (e !== -1 && e > at) at = e
      else if (at < src.length) at++
      else break
      if (anchor) break
    }
  })
  out.push(src.subarray(Math.min(copied, src.length)))
  let total = 0
  for (const b of out) total += b.length
  const r = new Uint8Array(total)
  let off = 0
  for (const b of out) {
    r.set(b, off)
    off += b.length
  }
  lua.lua_pushstring(L, r)
  lua.lua_pushnumber(L, n)
  return 2
}

/** add_s: the replacement string with `%0`-`%9` expanded and `%` before anything else dropped. */
function addString(ms: MatchState, out: Uint8Array[], s: number, e: number): void {
  const L = ms.L
  const news = lua.lua_tolstring(L, 3) as Uint8Array
  const bytes: number[] = []
  const flush = (): void => {
    if (bytes.length > 0) out.push(Uint8Array.from(bytes.splice(0)))
  }
  for (let i = 0; i < news.length; i++) {
    const c = news[i]!
    if (c !== L_ESC) {
      bytes.push(c)
      continue
    }
    i++
    // Past the end: the string's terminating NUL, as C reads it.
    const d = i < news.length ? news[i]! : 0
    if (!isDigit(d)) bytes.push(d)
    else if (d === 48) {
      flush()
      out.push(ms.s.subarray(s, e))
    } else {
      flush()
      pushOneCapture(ms, d - 49, s, e)
      out.push(Uint8Array.from(lua.lua_tolstring(L, -1) as Uint8Array))
      lua.lua_pop(L, 1)
    }
  }
  flush()
}

function addValue(ms: MatchState, out: Uint8Array[], s: number, e: number, tr: number): void {
  const L = ms.L
  if (tr === lua.LUA_TNUMBER || tr === lua.LUA_TSTRING) {
    addString(ms, out, s, e)
    return
  }
  if (tr === lua.LUA_TFUNCTION) {
    lua.lua_pushvalue(L, 3)
    const n = pushCaptures(ms, s, e, true)
    lua.lua_call(L, n, 1)
  } else {
    pushOneCapture(ms, 0, s, e)
    lua.lua_gettable(L, 3)
  }
  if (!lua.lua_toboolean(L, -1)) {
    lua.lua_pop(L, 1)
    out.push(ms.s.subarray(s, e))
    return
  }
  if (!lua.lua_isstring(L, -1)) {
    luaError(L, `invalid replacement value (a ${Buffer.from(lauxlib.luaL_typename(L, -1)).toString('latin1')})`)
  }
  out.push(Uint8Array.from(lua.lua_tolstring(L, -1) as Uint8Array))
  lua.lua_pop(L, 1)
}
