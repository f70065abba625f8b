/**
 * A private, patched instance of the fengari Lua VM.
 *
 * fengari implements Lua 5.3 with 32-bit integers; Redis runs Lua 5.1, where
 * every number is a double. The instance loaded here is adjusted so a script
 * cannot tell the difference where it matters:
 *  - every number is a float (no integer subtype, so no 32-bit wraparound);
 *  - numbers print as Lua 5.1's `%.14g` (`tostring(10/2)` is `5`, `1e+15`, `inf`, `-nan`);
 *  - tables are laid out as Lua 5.1 lays them out (src/scripting/table51.ts), so
 *    `next` visits keys in Redis's order and `#` finds 5.1's border;
 *  - tables can be made read-only, as Redis's patched Lua does for the globals
 *    and library tables (`Attempt to modify a readonly table`).
 *
 * The instance is private (loaded with fengari's modules taken out of the
 * require cache and put back afterwards), so other users of fengari in the same
 * process (ioredis-mock, for one) keep an unpatched VM.
 */
import { Buffer } from 'node:buffer'
import process from 'node:process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, sep } from 'node:path'
import { installTableLayout } from './table51.js'

/* eslint-disable @typescript-eslint/no-explicit-any */
/** fengari has no type declarations; its API is used through these loose types. */
export type LuaState = any
export type LuaModule = any

export interface Fengari {
  lua: LuaModule
  lauxlib: LuaModule
  lualib: LuaModule
  to_luastring: (s: string, cache?: boolean) => Uint8Array
  to_jsstring: (s: Uint8Array) => string
  /** The bypass switch for read-only tables (set while the host itself writes to them). */
  readonlyBypass: { on: boolean }
  /** Pushes a Lua string that takes `bytes` as its own, without the copy lua_pushstring makes: only for arrays nothing else holds. */
  pushOwned: (L: LuaState, bytes: Uint8Array) => void
}

let instance: Fengari | undefined

/** Returns the patched fengari instance, loading it on first use. */
export function fengari(): Fengari {
  return (instance ??= load())
}

declare const __filename: string | undefined
declare const require: NodeJS.Require | undefined

/**
 * A CommonJS `require` that resolves from this package, in every build: the
 * CJS one has `require`; in ESM, this file's path is read from a stack trace
 * (`import.meta` would not parse in the CJS build).
 */
function localRequire(): NodeJS.Require {
  if (typeof require === 'function' && typeof require.resolve === 'function') return require
  if (typeof __filename === 'string' && __filename !== '') return createRequire(__filename)
  const stack = new Error().stack ?? ''
  const m = /(file:\/\/[^\s)]+?|\/[^\s)(]+?)(?::\d+)+\)?\s*$/m.exec(stack.split('\n').slice(1).find((l) => /fengari|lua|scripting|chunk/.test(l)) ?? '')
  if (m !== null) return createRequire(m[1]!)
  return createRequire(process.cwd() + sep)
}

function load(): Fengari {
  const req = localRequire()
  const entry = req.resolve('fengari')
  const dir = dirname(entry) + sep
  const cache = req.cache
  const saved = new Map<string, unknown>()
  for (const k of Object.keys(cache)) {
    if (k.startsWith(dir)) {
      saved.set(k, cache[k])
      delete cache[k]
    }
  }
  let f: Fengari
  // fengari's modules are compiled from rewritten sources (rewriteSource), where the loader allows it.
  const exts = (req('node:module') as unknown as { _extensions?: Record<string, (m: any, filename: string) => void> })._extensions
  const loadJs = exts?.['.js']
  if (exts !== undefined && loadJs !== undefined) {
    exts['.js'] = function (m: any, filename: string) {
      if (!filename.startsWith(dir) || typeof m._compile !== 'function') return loadJs(m, filename)
      m._compile(rewriteSource(readFileSync(filename, 'utf8')), filename)
    }
  }
  try {
    // Patches that modules copy when they load (`const { x } = require(...)`): made first.
    preload(req, dir)
    const core = req(entry)
    const mods = {
      defs: req(dir + 'defs.js'),
      lobject: req(dir + 'lobject.js'),
      ltable: req(dir + 'ltable.js'),
      ldebug: req(dir + 'ldebug.js'),
      lstring: req(dir + 'lstring.js'),
      lstate: req(dir + 'lstate.js'),
      ltm: req(dir + 'ltm.js'),
      lvm: req(dir + 'lvm.js'),
      lopcodes: req(dir + 'lopcodes.js'),
    }
    const bypass = { on: false }
    patch(core, mods, bypass)
    f = {
      lua: core.lua,
      lauxlib: core.lauxlib,
      lualib: core.lualib,
      to_luastring: core.to_luastring,
      to_jsstring: core.to_jsstring,
      readonlyBypass: bypass,
      pushOwned: (L: LuaState, bytes: Uint8Array) => mods.lobject.pushsvalue2s(L, mods.lstring.luaS_bless(L, bytes)),
    }
  } finally {
    if (exts !== undefined && loadJs !== undefined) exts['.js'] = loadJs
    // Put the shared copies back: anyone else requiring fengari gets the unpatched one.
    for (const k of Object.keys(cache)) if (k.startsWith(dir)) delete cache[k]
    for (const [k, m] of saved) (cache as Record<string, unknown>)[k] = m
  }
  return f
}

/**
 * fengari's sources as this instance compiles them, with four costs taken out of its hot paths:
 *  - a stack slot is emptied with `delete`, a call into V8's runtime (about 50 ns) that leaves a
 *    hole in the array, several times per Lua call and return; storing `undefined` reads the same
 *    to every use of a slot;
 *  - every new table key clears the table's map of dead keys, and clearing a Map, even an empty
 *    one, allocates a new backing store (about 50 ns); it is cleared only when it holds something;
 *  - every call allocated a CallInfo and every return dropped it; a thread now keeps its chain
 *    and reuses the next one, as C Lua does (every field a call reads is set when it starts);
 *  - a pushed string is copied with Uint8Array.from, which goes through the iterator protocol
 *    (about 200 ns); the Uint8Array constructor copies it in about 120.
 */
export function rewriteSource(src: string): string {
  return src
    .replace(/\bdelete ((?:[A-Za-z_$][\w$]*\.)*stack\[[^\];]+\]);/g, '$1 = undefined;')
    .replace(/\bt\.dead_strong\.clear\(\);/g, 'if (t.dead_strong.size !== 0) t.dead_strong.clear();')
    .replace('    L.ci = ci.previous;\n    L.ci.next = null;\n', '    L.ci = ci.previous;\n')
    .replace('luastring_from = Uint8Array.from.bind(Uint8Array);', 'luastring_from = (a) => new Uint8Array(a);')
    .replace(/const luaE_extendCI = function\(L\) \{\n    let ci = new CallInfo\(\);/, 'const luaE_extendCI = function(L) {\n    let ci = L.ci.next;\n    if (ci !== null) { L.ci = ci; return ci; }\n    ci = new CallInfo();')
}

/**
 * Lua 5.1's limits on nested calls (LUAI_MAXCALLS, and the CallInfo array's 16384 before it first
 * grows past it), counted as CallInfos here: a script recurses exactly as deep as in Redis 7.2.
 */
const MAX_CALLS = 19999
const FRESH_CALLS = 16383

/**
 * The key a Lua string has in tables (and in the lexer's tables): `|` then one char per byte. fengari
 * writes each byte in hex without padding, which is slow (a runtime call per byte) and ambiguous
 * (bytes 1,35 and 18,3 both give `|123`, so two such strings were one table key). Other key kinds
 * never begin with `|` (ltable's table_hash).
 */
export function luaStringKey(b: Uint8Array): string {
  const n = b.length
  let s = '|'
  if (n <= 64) {
    for (let i = 0; i < n; i++) s += String.fromCharCode(b[i]!)
    return s
  }
  for (let i = 0; i < n; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[])
  return s
}

/** `goto` is an ordinary name in Lua 5.1: a key outside the strings' `|` space, so the lexer finds no reserved word. */
const GOTO_KEY = luaStringKey(new Uint8Array([103, 111, 116, 111]))

/**
 * Patches made before fengari's modules load, because the others copy these functions:
 *  - strings get their table keys from `luaStringKey`; `goto`, an ordinary name in Lua 5.1, gets
 *    another (consistently, for every use) so the lexer's reserved-word lookup misses it;
 *  - `%` is Lua 5.1's `a - floor(a/b)*b` (5.3 uses fmod with a sign fix: `1e17 % 3` is 1
 *    there, 0 in 5.1, and `-5 % math.huge` is inf there, -nan in 5.1);
 *  - library functions taking integers truncate a number toward zero, as 5.1's C cast does
 *    (`string.sub(s, 2.9)` is `string.sub(s, 2)`; 5.3 refuses a non-integral number), and
 *    clamp it to fengari's 32-bit integers.
 */
function preload(req: NodeJS.Require, dir: string): void {
  const lstring = req(dir + 'lstring.js')
  lstring.luaS_hash = luaStringKey
  lstring.luaS_hashlongstr = function (ts: any) {
    if (ts.hash === null) {
      const h = luaStringKey(ts.getstr())
      ts.hash = h === GOTO_KEY ? '!goto' : h
    }
    return ts.hash
  }
  const llimits = req(dir + 'llimits.js')
  llimits.luai_nummod = function (_L: any, a: number, b: number): number {
    const m = a - Math.floor(a / b) * b
    if (m === m) return m
    // Which NaN x86 hands back: an operand's, else the default one (sign bit set: "-nan").
    return a !== a ? a : b !== b ? b : NEG_NAN
  }
  const lapi = req(dir + 'lapi.js')
  const tonumberx = lapi.lua_tonumberx
  lapi.lua_tointegerx = function (L: any, idx: number): number | false {
    const n = tonumberx(L, idx)
    if (n === false) return false
    if (n >= -2147483648 && n <= 2147483647) return Math.trunc(n)
    // Past the 32 bits a position still lies beyond any string, so the (long) value is clamped;
    // (long) of NaN or of a double past ±2^63 is LONG_MIN on x86-64.
    return n > 0 && n < 9223372036854775808 ? 2147483647 : -2147483648
  }
}

/** A NaN with the sign bit set, the one x86 produces (Lua prints it `-nan`). */
export const NEG_NAN = new Float64Array(new BigUint64Array([0xfff8000000000000n]).buffer)[0]!

function patch(core: any, m: Record<string, any>, bypass: { on: boolean }): void {
  const { LUA_TNUMINT, LUA_TNUMFLT } = m.defs.constant_types
  const to_luastring = core.to_luastring as (s: string) => Uint8Array

  // 1. No integer subtype: a value tagged integer is stored as a float. Every
  // TValue assignment of `type` goes through this setter (constructor included).
  Object.defineProperty(m.lobject.TValue.prototype, 'type', {
    configurable: true,
    get(this: { t_: number }) {
      return this.t_
    },
    set(this: { t_: number }, v: number) {
      this.t_ = v === LUA_TNUMINT ? LUA_TNUMFLT : v
    },
  })

  // 2. Number to string as Lua 5.1 prints it (%.14g).
  const luaS_bless = m.lstring.luaS_bless
  m.lobject.luaO_tostring = function (L: any, obj: any) {
    obj.setsvalue(luaS_bless(L, asciiBytes(formatLuaNumber(obj.value))))
  }
  // lua_pushfstring's %d / %I / %f / %c go through the same formatting (error
  // messages carry line numbers; luaL_tolstring prints numbers with %f).
  const origV = m.lobject.luaO_pushvfstring
  const TYPEERROR = to_luastring('attempt to %s a %s value%s')
  const TYPEERROR51 = to_luastring("attempt to %s %s '%s' (a %s value)")
  const TYPEERROR51_ANON = to_luastring('attempt to %s a %s value')
  const NEAR = to_luastring('%s near %s')
  const EOF = to_luastring('<eof>')
  const YIELD_OUTSIDE = to_luastring('attempt to yield from outside a coroutine')
  const YIELD_ACROSS = to_luastring('attempt to yield across a JS-call boundary')
  const YIELD51 = to_luastring('attempt to yield across metamethod/C-call boundary')
  const pushv = function (L: any, fmt: Uint8Array, argp: any[]): any {
    // Lua 5.1's wording where 5.3 changed it: "attempt to index local 'x' (a nil value)"
    // instead of "attempt to index a nil value (local 'x')", and "near '<eof>'".
    if (sameBytes(fmt, TYPEERROR)) {
      const info = Buffer.from(argp[2] as Uint8Array).toString('latin1')
      const m51 = /^ \((\w+) '(.*)'\)$/s.exec(info)
      // 5.1 names no constants (`('x')()` is "attempt to call a string value").
      if (m51 === null || m51[1] === 'constant') return origV(L, TYPEERROR51_ANON, [argp[0], argp[1]])
      return origV(L, TYPEERROR51, [argp[0], to_luastring(m51[1]!), Buffer.from(m51[2]!, 'latin1'), argp[1]])
    }
    // 5.1 has one message for any yield it cannot make.
    if (sameBytes(fmt, YIELD_OUTSIDE) || sameBytes(fmt, YIELD_ACROSS)) return origV(L, YIELD51, [])
    if (sameBytes(fmt, NEAR) && argp[1] instanceof Uint8Array && sameBytes(argp[1], EOF)) {
      return origV(L, fmt, [argp[0], to_luastring("'<eof>'")])
    }
    let needs = false
    for (let i = 0; i + 1 < fmt.length; i++) {
      if (fmt[i] === 37) {
        const c = fmt[i + 1]
        if (c === 100 || c === 73 || c === 102 || c === 99) {
          needs = true
          break
        }
        i++
      }
    }
    if (!needs) return origV(L, fmt, argp)
    const out: number[] = []
    const args: any[] = []
    let a = 0
    for (let i = 0; i < fmt.length; i++) {
      const ch = fmt[i]!
      if (ch !== 37 || i + 1 >= fmt.length) {
        out.push(ch)
        continue
      }
      const c = fmt[++i]!
      if (c === 100 || c === 73) {
        out.push(37, 115)
        args.push(to_luastring(String(Math.trunc(Number(argp[a++])))))
      } else if (c === 102) {
        out.push(37, 115)
        args.push(to_luastring(formatLuaNumber(Number(argp[a++]))))
      } else if (c === 99) {
        const code = Number(argp[a++])
        out.push(37, 115)
        args.push(code >= 32 && code < 127 ? Uint8Array.of(code) : to_luastring(`<\\${code}>`))
      } else {
        out.push(37, c)
        if (c !== 37) args.push(argp[a++])
      }
    }
    return origV(L, Uint8Array.from(out), args)
  }
  m.lobject.luaO_pushvfstring = pushv
  m.lobject.luaO_pushfstring = (L: any, fmt: Uint8Array, ...argp: any[]) => pushv(L, fmt, argp)

  // Hex numerals are read as doubles (Lua 5.1's strtod), not as 5.3 integers that
  // wrap modulo 2^32 in fengari (0x100000000 must not become 0).
  const str2num = m.lobject.luaO_str2num
  const HEX_INT = /^[ \f\n\r\t\v]*(-)?0[xX]([0-9a-fA-F]+)[ \f\n\r\t\v]*$/
  m.lobject.luaO_str2num = function (s: Uint8Array, o: any) {
    // strtod also reads inf, infinity and nan (so "inf" + 0 is inf in 5.1).
    if (s.length > 2 && (s.includes(110) || s.includes(78))) {
      const v = strtodSpecial(Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('latin1'))
      if (v !== undefined) {
        o.setfltvalue(v)
        return s.length + 1
      }
    }
    if (s.length > 2 && (s.includes(120) || s.includes(88))) {
      const mm = HEX_INT.exec(Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('latin1'))
      if (mm !== null) {
        const v = parseInt(mm[2]!, 16)
        o.setfltvalue(mm[1] ? -v : v)
        return s.length + 1
      }
    }
    return str2num(s, o)
  }

  // Metamethods as Lua 5.1 looks them up: `#` of a table is its raw length (no __len), and an
  // order comparison (__lt, __le) needs two values of one type sharing the same metamethod.
  const ltm = m.ltm
  const TM_LEN = ltm.TMS.TM_LEN
  const TM_EQ = ltm.TMS.TM_EQ
  const fasttm = ltm.fasttm
  // `==` of two tables (or userdata) calls __eq only when both share it, as 5.1's get_compTM.
  // fengari's luaV_equalobj asks for the first one's __eq, then, if it has none, the second's, then
  // calls it: the second lookup is refused here, and the call checks the second operand's.
  let eqSecond = false
  let eqTm: any = null
  ltm.fasttm = function (l: any, et: any, e: number) {
    if (e === TM_LEN) return null
    if (e !== TM_EQ) return fasttm(l, et, e)
    if (eqSecond) {
      eqSecond = false
      return null
    }
    const tm = fasttm(l, et, e)
    if (tm === null) eqSecond = true
    eqTm = tm
    return tm
  }
  // A metamethod runs as a C-level call in 5.1, so a coroutine cannot yield inside one ("attempt to
  // yield across metamethod/C-call boundary"); 5.3 lets it. Each way in marks the call unyieldable.
  const noYield = <T>(L: any, run: () => T): T => {
    L.nny++
    try {
      return run()
    } finally {
      L.nny--
    }
  }
  const trybin = ltm.luaT_trybinTM
  ltm.luaT_trybinTM = function (L: any, p1: any, p2: any, res: any, event: number) {
    return noYield(L, () => trybin(L, p1, p2, res, event))
  }
  const callTM = ltm.luaT_callTM
  const rawEqualObj = m.lvm.luaV_rawequalobj
  ltm.luaT_callTM = function (L: any, f: any, p1: any, p2: any, p3: any, hasres: number) {
    if (eqTm !== null && f === eqTm) {
      eqTm = null
      const mt1 = p1.value.metatable
      const mt2 = p2.value.metatable
      if (mt1 !== mt2) {
        const tm2 = fasttm(L, mt2, TM_EQ)
        if (tm2 === null || !rawEqualObj(f, tm2)) {
          p3.setbvalue(false)
          return
        }
      }
    }
    return noYield(L, () => callTM(L, f, p1, p2, p3, hasres))
  }
  const callorder = ltm.luaT_callorderTM
  const gettmbyobj = ltm.luaT_gettmbyobj
  ltm.luaT_callorderTM = function (L: any, p1: any, p2: any, event: number) {
    if (p1.ttnov() !== p2.ttnov()) return null
    const tm1 = gettmbyobj(L, p1, event)
    if (tm1.ttisnil() || !rawEqualObj(tm1, gettmbyobj(L, p2, event))) return null
    return noYield(L, () => callorder(L, p1, p2, event))
  }

  // Call depth as Lua 5.1 limits it (LUAI_MAXCALLS, 20000 CallInfos): Lua 5.3 only bounds the stack's
  // slots (a million), so a runaway recursion went on twelve times deeper. Each CallInfo records its
  // depth, which stays right however an error unwinds.
  const extendCI = m.lstate.luaE_extendCI
  const overflow = to_luastring('stack overflow')
  const errerr = to_luastring('error in error handling')
  m.lstate.luaE_extendCI = function (L: any) {
    const depth = (L.ci.depth ?? 0) + 1
    // 5.1 doubles a thread's CallInfo array from 8; growing it past 16384 raises the overflow (the
    // array is grown all the same), and from then on that thread may go up to LUAI_MAXCALLS.
    const max = L.ciGrown === true ? MAX_CALLS : FRESH_CALLS
    if (depth > max) {
      // The error handler still gets room to run (200 calls); overflowing that too is an error
      // in error handling.
      if (L.overflowing !== true) {
        L.overflowing = true
        L.ciGrown = true
        m.ldebug.luaG_runerror(L, overflow)
      }
      if (depth > max + 200) m.ldebug.luaG_runerror(L, errerr)
    } else if (L.overflowing === true && depth < max) L.overflowing = false
    const ci = extendCI(L)
    ci.depth = depth
    return ci
  }

  // 3. Lua 5.1's table layout: `next` order and `#` as in Redis (src/scripting/table51.ts). Installed
  // before the read-only check below wraps the setters, so a refused write changes nothing.
  installTableLayout(m, () => currentL)

  // 4. Read-only tables: a flag on the table, checked by the two functions every
  // table write goes through (VM assignment, rawset, lua_seti, lua_rawseti).
  const probe = m.ltable.luaH_new({ l_G: { id_counter: 0 } })
  Object.getPrototypeOf(probe).readonly = false
  const ldebug = m.ldebug
  const setfrom = m.ltable.luaH_setfrom
  const READONLY = to_luastring('Attempt to modify a readonly table')
  m.ltable.luaH_setfrom = function (L: any, t: any, key: any, value: any) {
    if (t.readonly === true && !bypass.on) ldebug.luaG_runerror(L, READONLY)
    setfrom(L, t, key, value)
  }
  const setint = m.ltable.luaH_setint
  m.ltable.luaH_setint = function (t: any, key: number, value: any) {
    if (t.readonly === true && !bypass.on && currentL !== null) ldebug.luaG_runerror(currentL, READONLY)
    setint(t, key, value)
  }
}

/** The words strtod reads besides numerals, with C's blanks around them. */
const STRTOD_SPECIAL = /^[ \t\n\v\f\r]*([+-]?)(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)[ \t\n\v\f\r]*$/i

/** What strtod (so Lua 5.1) reads from `inf`, `infinity` or `nan` text, signed; undefined for other text. */
function strtodSpecial(text: string): number | undefined {
  const m = STRTOD_SPECIAL.exec(text)
  if (m === null) return undefined
  if (m[2]![0] === 'n' || m[2]![0] === 'N') return m[1] === '-' ? NEG_NAN : NaN
  return m[1] === '-' ? -Infinity : Infinity
}

/** An ASCII string (number text) as bytes, without a general UTF-8 encoder. */
export function asciiBytes(t: string): Uint8Array {
  const u = new Uint8Array(t.length)
  for (let i = 0; i < t.length; i++) u[i] = t.charCodeAt(i)
  return u
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The state running now, for errors raised where fengari passes no state (lua_rawseti). */
let currentL: any = null
export function setCurrentState(L: any): void {
  currentL = L
}

const NAN_F = new Float64Array(1)
const NAN_U = new Uint32Array(NAN_F.buffer)

/**
 * A number as Lua 5.1 (and so Redis) prints it: C's `%.14g`, with glibc's
 * spellings of the special values (`inf`, `-inf`, `-nan`, `-0`).
 */
export function formatLuaNumber(n: number): string {
  if (n === 0) return Object.is(n, -0) ? '-0' : '0'
  if (!Number.isFinite(n)) {
    if (n === Infinity) return 'inf'
    if (n === -Infinity) return '-inf'
    // glibc prints the NaN's sign: 0/0 has it set on x86 (and in V8), so it prints "-nan".
    NAN_F[0] = n
    return NAN_U[1]! >>> 31 ? '-nan' : 'nan'
  }
  if (Number.isInteger(n) && Math.abs(n) < 1e14) return String(n)
  return shortG14(n) ?? formatG(n, 14)
}

/**
 * `%.14g` of a number whose shortest round-trip text (String) has at most 14 significant digits and
 * a decimal exponent in -4..13; undefined for any other. n lies within half an ulp of that text, far
 * closer than rounding to 14 digits can move it, so %.14g has the same digits; and in that exponent
 * range both write them in fixed notation without trailing zeros. formatG's exact rounding costs
 * microseconds (toExponential and toFixed to 100 digits).
 */
function shortG14(n: number): string | undefined {
  const s = String(n)
  let i = s.charCodeAt(0) === 45 ? 1 : 0
  if (s.charCodeAt(i) === 48) {
    // 0.000ddd: at most three zeros after the point (exponent ≥ -4).
    i += 2
    const first = i
    while (s.charCodeAt(i) === 48) i++
    return i - first <= 3 && s.length - i <= 14 ? s : undefined
  }
  if (s.indexOf('e') !== -1) return undefined
  const dot = s.indexOf('.')
  // An integer part of at most 14 digits (exponent ≤ 13); digits in all at most 14.
  return (dot === -1 ? s.length : dot) - i <= 14 && s.length - i - (dot === -1 ? 0 : 1) <= 14 ? s : undefined
}

/**
 * C's `%.<p>f`: like `toFixed`, but an exact tie rounds to even (glibc) where
 * `toFixed` rounds away from zero (`%.0f` of 2.5 is `2`).
 */
export function toFixedC(n: number, p: number): string {
  if (Object.is(n, -0)) return '-' + (0).toFixed(p)
  const out = n.toFixed(p)
  const a = Math.abs(n)
  if (a >= 1e21 || p >= 99) return out
  const exact = a.toFixed(100)
  const dot = exact.indexOf('.')
  if (exact.charCodeAt(dot + p + 1) !== 53) return out
  for (let i = dot + p + 2; i < exact.length; i++) if (exact.charCodeAt(i) !== 48) return out
  const lastDigit = exact.charCodeAt(p === 0 ? dot - 1 : dot + p) - 48
  if (lastDigit % 2 !== 0) return out
  const kept = exact.slice(0, p === 0 ? dot : dot + p + 1)
  return (n < 0 || Object.is(n, -0) ? '-' : '') + kept
}

/** C's `%.<p>e` digits (mantissa `d.ddd` and exponent), with glibc's round-half-even on exact ties. */
export function toExponentialC(n: number, p: number): { mant: string; exp: number } {
  let e = n.toExponential(p)
  if (p < 99) {
    const exact = Math.abs(n).toExponential(100)
    const ei = exact.indexOf('e')
    const digits = exact.slice(0, ei).replace('.', '')
    if (digits.charCodeAt(p + 1) === 53 && /^0*$/.test(digits.slice(p + 2)) && (digits.charCodeAt(p) - 48) % 2 === 0) {
      const kept = digits.slice(0, p + 1)
      e = (n < 0 ? '-' : '') + kept[0] + (p > 0 ? '.' + kept.slice(1) : '') + exact.slice(ei)
    }
  }
  const ei = e.indexOf('e')
  return { mant: e.slice(0, ei), exp: Number(e.slice(ei + 1)) }
}

/** C's `%.<p>g` for a finite nonzero number. */
export function formatG(n: number, p: number, alt = false, upper = false): string {
  if (p === 0) p = 1
  const { mant, exp: x } = toExponentialC(n, p - 1)
  let s: string
  if (x < -4 || x >= p) {
    let m = mant
    if (!alt && m.includes('.')) m = m.replace(/\.?0+$/, '')
    const ax = Math.abs(x)
    s = m + (upper ? 'E' : 'e') + (x < 0 ? '-' : '+') + (ax < 10 ? '0' + ax : String(ax))
  } else {
    s = toFixedC(n, Math.max(0, p - 1 - x))
    if (!alt && s.includes('.')) s = s.replace(/\.?0+$/, '')
  }
  return s
}
