import { describe, expect, it } from 'vitest'
import { checkLua51, chunkId } from '../../src/scripting/lua51.js'
import { lua } from '../../src/scripting/index.js'
import { err, useStores } from '../helpers/store.js'

const newStore = useStores({ scripting: lua() })

/** The 5.1 compile error of `code` (chunk `user_script`), or the rewritten chunk as text. */
function check(code: string): string {
  const r = checkLua51(Buffer.from(code, 'latin1'), 'user_script')
  return r.ok ? 'ok: ' + Buffer.from(r.code).toString('latin1') : Buffer.from(r.error).toString('latin1')
}

describe('Lua 5.1 grammar (errors as Redis 7.2 gives them)', () => {
  it('refuses the operators and statements 5.3 added', () => {
    expect(check('return 7 // 2')).toBe("user_script:1: unexpected symbol near '/'")
    expect(check('return 1 & 2')).toBe("user_script:1: '<eof>' expected near '&'")
    expect(check('local x = 1 | 2')).toBe("user_script:1: unexpected symbol near '|'")
    expect(check('return ~1')).toBe("user_script:1: unexpected symbol near '~'")
    expect(check('return 1 << 2')).toBe("user_script:1: unexpected symbol near '<'")
    expect(check('return 1 >> 2')).toBe("user_script:1: unexpected symbol near '>'")
    expect(check('goto done')).toBe("user_script:1: '=' expected near 'done'")
    expect(check('::done::')).toBe("user_script:1: unexpected symbol near ':'")
    expect(check(';')).toBe("user_script:1: unexpected symbol near ';'")
    expect(check('return 1;;')).toBe("user_script:1: '<eof>' expected near ';'")
    expect(check('while true do break; local y = 1 end')).toBe("user_script:1: 'end' expected near 'local'")
    expect(check('break')).toBe("user_script:1: no loop to break near '<eof>'")
    expect(check('local f = g\n(f)(1)')).toBe("user_script:2: ambiguous syntax (function call x new statement) near '('")
    expect(check('x')).toBe("user_script:1: '=' expected near '<eof>'")
    expect(check('f() = 1')).toBe("user_script:1: unexpected symbol near '='")
    expect(check('(x) = 1')).toBe("user_script:1: syntax error near '='")
  })

  it('reads goto as a name, and the rest of the grammar as 5.1 does', () => {
    expect(check('local goto = 1 return goto')).toBe('ok: local goto = 1 return goto')
    expect(check('local t = {[1]=2, x=3, 4; 5,} return #t')).toMatch(/^ok/)
    expect(check('return a.b.c:d"x"{1}')).toMatch(/^ok/)
    expect(check('repeat break until true')).toMatch(/^ok/)
    expect(check('function f() return ... end')).toBe("user_script:1: cannot use '...' outside a vararg function near '...'")
    expect(check('if x then\n\nelse')).toBe("user_script:3: 'end' expected (to close 'if' at line 1) near '<eof>'")
    expect(check('for a b')).toBe("user_script:1: '=' or 'in' expected near 'b'")
    expect(check('function f(a, 1) end')).toBe("user_script:1: <name> or '...' expected near '1'")
    expect(check('return {x y}')).toBe("user_script:1: '}' expected near 'y'")
    expect(check('return \x01')).toBe("user_script:1: unexpected symbol near 'char(1)'")
  })

  it('lexes strings, long strings, comments and numerals as 5.1', () => {
    expect(check('return [[a[[b]]')).toBe("user_script:1: nesting of [[...]] is deprecated near '['")
    expect(check('--[[ a [[ b ]] ]]\nreturn 1')).toBe("user_script:1: nesting of [[...]] is deprecated near '['")
    expect(check('--[==[ [[ ]] ]==] return 5')).toMatch(/^ok/)
    expect(check('return [==[x]=]')).toBe("user_script:1: unfinished long string near '<eof>'")
    expect(check('return [=x')).toBe("user_script:1: invalid long string delimiter near '[='")
    expect(check("return 'abc")).toBe("user_script:1: unfinished string near '<eof>'")
    expect(check('return "ab\ncd"')).toBe("user_script:1: unfinished string near '\"ab'")
    expect(check('return "\\300"')).toBe("user_script:1: escape sequence too large near '\"'")
    expect(check('return "ab\\256cd"')).toBe("user_script:1: escape sequence too large near '\"ab'")
    // The token text is a C string: it ends at a NUL byte.
    expect(check('return "\\0\\300"')).toBe("user_script:1: escape sequence too large near '\"'")
    expect(check('return "\\0\\300"')).toBe("user_script:1: escape sequence too large near '\"'")
    expect(check('return 3..2')).toBe("user_script:1: malformed number near '3..2'")
    expect(check('return 0x1.8')).toBe("user_script:1: '<eof>' expected near '.8'")
    expect(check('return 0x1p-4')).toBe("user_script:1: malformed number near '0x1p'")
    expect(check('return 0x10, 0x1p4, 1e+5, .5, 5.')).toMatch(/^ok/)
    // Line numbers count \r\n once, and lines inside long strings.
    expect(check('local s = [[\r\na\r\nb]]\r\nreturn 1 // 2')).toBe("user_script:4: unexpected symbol near '/'")
  })

  it('rewrites the escapes 5.3 would read differently, keeping lines', () => {
    expect(check('return "\\x41", "\\z  a", "\\u{48}", "\\q"')).toBe('ok: return "x41", "z  a", "u{48}", "q"')
    expect(check('return "a\\\nb\\x"')).toBe('ok: return "a\\\nbx"')
    // Escapes with one meaning stay (and so does the chunk itself: no copy).
    const src = Buffer.from('return "\\n\\t\\\\\\"\\65"')
    const r = checkLua51(src, 'user_script')
    expect(r.ok && r.code).toBe(src)
  })

  it('counts local variables per function as 5.1 does (limit 200)', () => {
    const many = (n: number): string => Array.from({ length: n }, (_, i) => `local v${i} = ${i}`).join('\n')
    expect(check(many(200))).toMatch(/^ok/)
    expect(check(many(201))).toBe('user_script:201: main function has more than 200 local variables')
    expect(check(`local function f()\n${many(201)}\nend`)).toBe('user_script:202: function at line 1 has more than 200 local variables')
    // Block scopes give their locals back.
    expect(check(`do ${many(150)} end do ${many(150)} end`)).toMatch(/^ok/)
  })

  it('counts upvalues per function as 5.1 does (limit 60; messages and lines as recorded from valkey-server)', () => {
    const decl = (n: number, p = 'v'): string => Array.from({ length: n }, (_, i) => `local ${p}${i} = ${i}`).join('\n')
    const use = (n: number, p = 'v'): string => Array.from({ length: n }, (_, i) => `${p}${i}`).join(' + ')
    expect(check(`${decl(60)}\nlocal f = function() return ${use(60)} + v0 end`)).toMatch(/^ok/)
    expect(check(`${decl(61)}\nlocal f = function() return ${use(61)} end`)).toBe('user_script:62: function at line 62 has more than 60 upvalues')
    // A function between the local and its use needs the upvalue too (and is the one that overflows first).
    expect(check(`${decl(61)}\nlocal f = function()\n local g = function() return ${use(61)} end\nend`)).toBe(
      'user_script:63: function at line 62 has more than 60 upvalues',
    )
    // Parameters and loop variables are locals; globals and fields are not upvalues; a name in a table
    // constructor is read past the constructor's lookahead.
    const params = Array.from({ length: 61 }, (_, i) => `p${i}`).join(', ')
    expect(check(`local function outer(${params})\n return function() return ${use(61, 'p')} end\nend`)).toBe(
      'user_script:2: function at line 2 has more than 60 upvalues',
    )
    expect(check(`${decl(61)}\nreturn function() return { ${use(61).replace(/ \+ /g, ', ')} } end`)).toBe('user_script:62: function at line 62 has more than 60 upvalues')
    expect(check(`return function() return ${use(70, 'g')}, t.v0, t.v1 end`)).toMatch(/^ok/)
    expect(check(`for i = 1, 2 do for k in pairs({}) do local f = function() return i + k end end end`)).toMatch(/^ok/)
  })

  it('names chunks as 5.1 does (MAXSRC 80)', () => {
    expect(chunkId(Buffer.from('@user_script'))).toBe('user_script')
    expect(chunkId(Buffer.from('=mine'))).toBe('mine')
    expect(chunkId(Buffer.from('a\nb'))).toBe('[string "a..."]')
    expect(chunkId(Buffer.from('x'.repeat(70)))).toBe(`[string "${'x'.repeat(63)}..."]`)
  })
})

describe('scripts as Redis 7.2 runs them', () => {
  it('gives compile errors for 5.3 syntax, in EVAL, FUNCTION LOAD and loadstring', () => {
    const s = newStore()
    expect(err(() => s.call('EVAL', 'return 7 // 2', '0'))).toBe("ERR Error compiling script (new function): user_script:1: unexpected symbol near '/'")
    expect(err(() => s.call('FUNCTION', 'LOAD', '#!lua name=l1\nredis.register_function("f", function() return 1 // 2 end)'))).toBe(
      "ERR Error compiling function: user_function:2: unexpected symbol near '/'",
    )
    expect(s.call('EVAL', 'return select(2, loadstring("return 1 &"))', '0')).toBe("[string \"return 1 &\"]:1: '<eof>' expected near '&'")
    expect(s.call('EVAL', 'return select(2, loadstring("x", "=mine"))', '0')).toBe("mine:1: '=' expected near '<eof>'")
    expect(s.call('EVAL', "return loadstring('return \"\\\\x41\"')()", '0')).toBe('x41')
  })

  it('reads escapes and goto as 5.1', () => {
    const s = newStore()
    expect(s.call('EVAL', 'return {"\\x41", "\\z  a", "\\u{48}", "\\q"}', '0')).toEqual(['x41', 'z  a', 'u{48}', 'q'])
    expect(s.call('EVAL', 'local goto = 3 return goto', '0')).toBe(3)
    expect(s.call('FUNCTION', 'LOAD', '#!lua name=l1\nlocal goto = 3\nredis.register_function("f", function() return goto end)')).toBe('l1')
    expect(s.call('FCALL', 'f', '0')).toBe(3)
    // A table key "goto" is still the same key everywhere.
    expect(s.call('EVAL', 'local t = {goto = 1} t["goto"] = t.goto + 1 return t.goto', '0')).toBe(2)
    // A string "goto|" is another key.
    expect(s.call('EVAL', 'local t = {goto = 1} t["goto|"] = 2 return {t.goto, t["goto|"]}', '0')).toEqual([1, 2])
  })

  it('keeps every string a table key of its own, binary ones included', () => {
    const s = newStore()
    // Bytes 1,35 and 18,3 and 1,2,3 (each `123` in unpadded hex) are different keys.
    const keys = ['\\1#', '\\18\\3', '\\1\\2\\3', '\\0', '\\0\\0', '\\255', '|', '']
    const script = `local t = {} local k = {${keys.map((k) => `"${k}"`).join(', ')}}
      for i, x in ipairs(k) do t[x] = i end
      local out = {} for i, x in ipairs(k) do out[i] = t[x] end
      local n = 0 for _ in pairs(t) do n = n + 1 end
      out[#out + 1] = n return out`
    expect(s.call('EVAL', script, '0')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 8])
    // Long keys too, and from KEYS (strings made outside the VM).
    const long = 'x'.repeat(10000) + '\u00e9'
    expect(s.call('EVAL', 'local t = {[KEYS[1]] = 1, [KEYS[2]] = 2} return {t[KEYS[1]], t[KEYS[2]], t[string.rep("x", 10000)]}', '2', long, long.slice(0, -1))).toEqual([1, 2, 2])
  })

  it('keeps the sign of a NaN through the math functions that take two numbers, and frexp', () => {
    const s = newStore()
    const f = (e: string): unknown => s.call('EVAL', `local r = {pcall(${e})} return string.format('%.17g', r[2])`, '0')
    expect(f('math.fmod, 0, 0/0, nil')).toBe('-nan')
    expect(f('math.fmod, -(0/0), 1')).toBe('nan')
    expect(f('math.atan2, 0/0, 1')).toBe('-nan')
    expect(f('math.pow, -(0/0), 1')).toBe('nan')
    expect(f('math.frexp, -(0/0)')).toBe('nan')
    expect(f('math.frexp, 0/0')).toBe('-nan')
  })

  it('rounds math.pow of integers past 2^53 once, as glibc does', () => {
    const s = newStore()
    const f = (e: string): unknown => s.call('EVAL', `return string.format('%.17g', ${e})`, '0')
    // 37^12 = 6582952005840035281: the nearest double is ...034816, V8's own pow gives ...035840.
    expect(f('math.pow(37, 12)')).toBe('6.5829520058400348e+18')
    expect(f("math.pow(-37, '12')")).toBe('6.5829520058400348e+18')
    expect(f('math.pow(-37, 13)')).toBe('-2.435692242160813e+20')
    expect(f('math.pow(2, 1023)')).toBe('8.9884656743115795e+307')
    expect(f('math.pow(10, 400)')).toBe('inf')
    expect(f('math.pow(2, 0.5)')).toBe('1.4142135623730951')
  })

  it('computes % as 5.1 (a - floor(a/b)*b)', () => {
    const s = newStore()
    const t = (e: string): unknown => s.call('EVAL', `return tostring(${e})`, '0')
    expect(t('-5 % math.huge')).toBe('-nan')
    expect(t('5 % -math.huge')).toBe('-nan')
    expect(t('1e17 % 3')).toBe('0')
    expect(t('-7 % 3')).toBe('2')
    expect(t('7 % -3')).toBe('-2')
    expect(t('5.5 % 2')).toBe('1.5')
    expect(t('1 % 0')).toBe('-nan')
    expect(t('math.huge % 2')).toBe('-nan')
    // Constant folding takes the same path.
    expect(s.call('EVAL', 'local a, b = 1e17, 3 return tostring(a % b) .. tostring(1e17 % 3)', '0')).toBe('00')
  })

  it('truncates non-integral numbers given to library functions, and reads inf/nan strings', () => {
    const s = newStore()
    expect(s.call('EVAL', 'return string.sub("hello", 2.9)', '0')).toBe('ello')
    expect(s.call('EVAL', 'return string.rep("ab", 2.5)', '0')).toBe('abab')
    expect(s.call('EVAL', 'return string.byte("abc", 1.9)', '0')).toBe(97)
    expect(s.call('EVAL', 'return string.sub("hello", 2, 2^40)', '0')).toBe('ello')
    expect(s.call('EVAL', 'return tostring("inf" + 0) .. tostring("-inf" * 1) .. tostring(" nan " + 0)', '0')).toBe('inf-infnan')
  })
})

describe('Lua 5.1 library functions', () => {
  it('table.insert and table.remove take any position and skip out-of-range removals', () => {
    const s = newStore()
    expect(s.call('EVAL', 'local t = {1, 2, 3} table.insert(t, 6, "x") return {#t, t[6], t[4]}', '0')).toEqual([3, 'x'])
    expect(s.call('EVAL', 'local t = {1, 2, 3} table.insert(t, 0, "x") return {t[0], #t}', '0')).toEqual(['x', 4])
    expect(s.call('EVAL', 'local t = {1, 2, 3} return {table.remove(t), #t, table.remove(t, 1), t[1], #t}', '0')).toEqual([3, 2, 1, 2, 1])
    expect(s.call('EVAL', 'return select("#", table.remove({1, 2, 3}, 5))', '0')).toBe(0)
    expect(err(() => s.call('EVAL', 'table.insert({}, 1, 2, 3)', '0'))).toMatch(/^ERR user_script:1: wrong number of arguments to 'insert' script/)
    // Raw access: the read-only globals stay read-only.
    expect(err(() => s.call('EVAL', 'table.insert(string, 1)', '0'))).toMatch(/Attempt to modify a readonly table/)
  })

  it('string.char refuses non-bytes with 5.1 words', () => {
    const s = newStore()
    expect(s.call('EVAL', 'return string.char(72, 105.9)', '0')).toBe('Hi')
    expect(err(() => s.call('EVAL', 'return string.char(256)', '0'))).toMatch(/^ERR user_script:1: bad argument #1 to 'char' \(invalid value\) script/)
  })

  it('NaN results carry the sign glibc gives them', () => {
    const s = newStore()
    expect(s.call('EVAL', 'return {tostring(math.log(-1)), tostring(math.log10(-1)), tostring(math.pow(-8, 1/3)), tostring(math.log(0/0))}', '0')).toEqual([
      '-nan',
      'nan',
      '-nan',
      '-nan',
    ])
  })
})

describe('Lua 5.1 metamethods and raw access', () => {
  it('ignores __len and __pairs on tables; ipairs, unpack and table.concat read raw', () => {
    const s = newStore()
    expect(s.call('EVAL', 'return #setmetatable({}, {__len = function() return 5 end})', '0')).toBe(0)
    expect(s.call('EVAL', 'local n = 0 for _ in pairs(setmetatable({}, {__pairs = function(t) return next, {1, 2, 3}, nil end})) do n = n + 1 end return n', '0')).toBe(0)
    expect(s.call('EVAL', 'local n = 0 for i in ipairs(setmetatable({}, {__index = function(t, i) if i < 3 then return i end end})) do n = n + 1 end return n', '0')).toBe(0)
    expect(s.call('EVAL', 'local n = 0 for i, v in ipairs({1, 2, nil, 4}) do n = n + v end return n', '0')).toBe(3)
    expect(s.call('EVAL', 'return {unpack(setmetatable({}, {__index = function(t, k) return k end}), 1, 2)}', '0')).toEqual([])
    expect(s.call('EVAL', 'return table.concat({1, 2.5, "a"}, ", ")', '0')).toBe('1, 2.5, a')
    expect(err(() => s.call('EVAL', 'return table.concat({1, {}, 3})', '0'))).toMatch(/invalid value \(table\) at index 2 in table for 'concat'/)
  })

  it('compares with __lt/__le only between values of one type sharing the metamethod', () => {
    const s = newStore()
    expect(err(() => s.call('EVAL', 'local mt = {__lt = function() return true end} return setmetatable({}, mt) < 1', '0'))).toMatch(/attempt to compare table with number/)
    const two = 'local a = setmetatable({}, {__lt = function() return true end}) local b = setmetatable({}, {__lt = function() return true end}) return a < b'
    expect(err(() => s.call('EVAL', two, '0'))).toMatch(/attempt to compare two table values/)
    expect(s.call('EVAL', 'local mt = {__lt = function() return true end} return setmetatable({}, mt) < setmetatable({}, mt)', '0')).toBe(1)
  })

  it("names a function called through pcall '?' in argument errors", () => {
    const s = newStore()
    expect(s.call('EVAL', 'return select(2, pcall(string.rep))', '0')).toBe("bad argument #1 to '?' (string expected, got no value)")
    expect(err(() => s.call('EVAL', 'return string.rep()', '0'))).toMatch(/bad argument #1 to 'rep' \(string expected, got no value\)/)
  })
})

describe('Lua 5.1 patterns', () => {
  it('splits on empty matches as 5.1 does, and refuses a pattern too deep to match instead of overflowing', () => {
    const s = newStore()
    expect(s.call('EVAL', "local o = {} for w in string.gmatch('a,b', '([^,]*)') do o[#o + 1] = '<' .. w .. '>' end return table.concat(o)", '0')).toBe('<a><><b><>')
    expect(s.call('EVAL', "return (string.gsub('hello', 'l', '%x'))", '0')).toBe('hexxo')
    expect(err(() => s.call('EVAL', "local n = 200000 return string.find(string.rep('a', n), string.rep('a?', n) .. string.rep('a', n))", '0'))).toMatch(
      /pattern too complex/,
    )
    // The state is still usable afterwards.
    expect(s.call('EVAL', "return string.match('k12', '%d+')", '0')).toBe('12')
  })

  it('stops a backtracking pattern at the busy-script limit, like a runaway loop', () => {
    const s = newStore()
    s.call('CONFIG', 'SET', 'busy-reply-threshold', '200')
    expect(err(() => s.call('EVAL', "return string.find(string.rep('a', 40), string.rep('a*', 40) .. 'b')", '0'))).toMatch(/Script killed/)
    expect(s.call('EVAL', "return string.find('aab', 'a*b')", '0')).toBe(1)
  })
})

describe('LUA_COMPAT_VARARG', () => {
  it('declares arg after a vararg parameter list, on the same line, filled only when the body does not read ...', () => {
    expect(check('local function f(...)\nreturn arg.n end')).toBe("ok: local function f(...) local arg = {n = select('#', ...), ...};\nreturn arg.n end")
    expect(check('local function f(a, ...) return ... end')).toBe('ok: local function f(a, ...) local arg; return ... end')
    expect(check('return function(...) return "\\q" end')).toBe("ok: return function(...) local arg = {n = select('#', ...), ...}; return \"q\" end")
    expect(check('local function f(a) return a end')).toBe('ok: local function f(a) return a end')
  })
})
