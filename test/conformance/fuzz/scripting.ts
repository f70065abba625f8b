/**
 * Scripting: EVAL/EVAL_RO/EVALSHA/EVALSHA_RO with generated Lua, SCRIPT LOAD/EXISTS/FLUSH, and
 * FUNCTION LOAD/LIST/DELETE/FLUSH/STATS with FCALL/FCALL_RO.
 *
 * The script cache and the function libraries are server-wide and the driver does not flush them
 * between seeds, so every sequence starts with FUNCTION FLUSH and SCRIPT FLUSH (a per-run step
 * counter, kept beside the Rng). Where Valkey 8 words an error differently from Redis 7.2 (unknown
 * command, wrong arity or bad argument types in `redis.call`, NOSCRIPT, the `os` and `server`
 * globals), the scripts do not go; those are covered by scenarios with `redis72:` corrections.
 */
import { createHash } from 'node:crypto'
import { type Cmd, type Gen, KEYS, kw, OTHER_TYPES, type Rng, small, VALUES } from './gen.js'

interface State {
  step: number
  /** Bodies in the script cache (by EVAL or SCRIPT LOAD), cleared by SCRIPT FLUSH. */
  cached: Set<string>
  /** Bodies generated so far (cached or not), for EVALSHA. */
  bodies: string[]
  /** Function names registered by the latest FUNCTION LOADs (loaded or not): FCALL mostly calls these. */
  recent: string[]
}

const STATES = new WeakMap<Rng, State>()
const state = (r: Rng): State => {
  let s = STATES.get(r)
  if (s === undefined) STATES.set(r, (s = { step: 0, cached: new Set(), bodies: [], recent: [] }))
  return s
}

const sha1 = (s: string): string => createHash('sha1').update(s, 'utf8').digest('hex')

/**
 * No `-0.0` literals: Lua 5.1 keeps one constant per value in a function, and -0 == 0, so after a
 * `0` constant the literal -0.0 reads as 0 (a compiler quirk embedis does not copy).
 */

/**
 * Where Lua 5.1 and 5.3 part: 5.3-only operators (a compile error in Redis, with 5.1's parser
 * message), escapes 5.1 reads as the bare character, long-string nesting, 5.1's numerals, `%` as
 * `a - floor(a/b)*b`, and library functions truncating non-integral numbers.
 */
const LUA51_BAD_EXPRS = [
  '7 // 2', '1 & 3', '1 | 2', '~1', '1 ~ 2', '1 << 2', '8 >> 1', '(1 // 1)', 'a // b', '"\\300"', '"a\\256"',
  '[[a[[b]]', '[==[x]=]', '0x1.8', '0x1p-4', '3..2', '1e',
]
const LUA51_EXPRS = [
  '"\\x41"', '"\\z   x"', '"\\u{48}"', '#"\\u{48}"', '"\\q\\g"', '"\\65\\0667"', '"\\1234"', '[=[a[=[b]=]', '[[\nx]]',
  '0x1p4', '.5 + 5.', '0xA',
  'tostring(-5 % math.huge)', 'tostring(5 % -math.huge)', 'tostring(1e17 % 3)', 'tostring(-7 % 3)', 'tostring(7 % -3)',
  'tostring(5.5 % -2)', 'tostring(1 % 0)', 'tostring(math.huge % 2)', 'tostring(0.3 % 0.1)',
  'string.sub("hello", 2.9)', 'string.sub("hello", 2, 2^40)', 'string.rep("ab", 2.5)', 'string.byte("abc", 1.9)',
  'string.char(65.7)', 'table.concat({1, 2, 3}, ",", 1.5)', 'select(1.5, "a", "b")',
  'tostring("inf" + 0)', 'tostring(" -inf " * 1)', 'tostring("nan" + 0)', 'string.char(72, 105.9)', 'string.char(256)',
  '(function() local t = {1, 2, 3} table.insert(t, 6, "x") return {#t, t[6], t[4]} end)()',
  '(function() local t = {1, 2, 3} table.insert(t, 0, "x") return {t[0], #t} end)()',
  '(function() local t = {1, 2, 3} return {table.remove(t), #t, table.remove(t, 1), t[1], #t} end)()',
  'select("#", table.remove({1, 2, 3}, 5))', '#setmetatable({}, {__len = function() return 5 end})',
  '(function() local n = 0 for i in ipairs(setmetatable({}, {__index = function(t, i) if i < 3 then return i end end})) do n = n + 1 end return n end)()',
  '{unpack(setmetatable({}, {__index = function(t, k) return k end}), 1, 2)}', 'table.concat({1, 2.5, "a"}, ", ")', 'table.concat({1, {}, 3})',
  'setmetatable({}, {__lt = function() return true end}) < 1', '{pcall(string.rep)}', '{pcall(math.floor, "x")}', '{pcall(ipairs)}', 'tostring(math.log(-1))', 'tostring(math.log10(-1))', 'tostring(math.pow(-8, 1/3))',
  'select(2, loadstring("return 1 // 2"))', 'select(2, loadstring("x", "=c"))', 'loadstring("return \\"\\\\x41\\"")()',
]

/** Statements that only Lua 5.3 accepts (compile errors in Redis), and some that 5.1 reads its own way. */
const LUA51_BAD_STMTS = [
  'goto done', '::done::', ';', 'local a = 1;;', 'while true do break; local y = 1 end', 'break', 'local f = type\n(f)(1)',
  'x', 'local t = {} t.x.y', 'f() = 1', '(x) = 1', 'for i = 1, 2 do goto c ::c:: end', '--[[ a [[ b ]] ]]',
]
const LUA51_STMTS = ['local goto = 2', 'local s = [[\na\nb]] local n = #s', '--[==[ [[ ]] ]==]']

/** Bodies holding a snippet that does not compile: they never reach the script cache. */
const BAD_SNIPPETS = [...LUA51_BAD_EXPRS, ...LUA51_BAD_STMTS]
const compiles = (b: string): boolean => !BAD_SNIPPETS.some((x) => b.includes(x))

/** Lua literal of a plain string value. */
const luaStr = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** Argument expressions for redis.call: KEYS/ARGV entries, literals and numbers (integral and not). */
function arg(r: Rng, k: string, a: string): string {
  return r.weighted<string>([
    // Never nil: Valkey words the refusal of a nil argument differently from Redis 7.2.
    [3, `(${a}[1] or 'd')`],
    [1, `(${a}[2] or 7)`],
    [3, luaStr(r.pick(VALUES.slice(0, 10)))],
    [2, String(r.int(-3, 20))],
    [1, r.pick(['1.5', '0.1', '3.0', '1e20', '2^53', '1/3', '100000000', '-2.5e-7'])],
    [1, `(${k}[1] or 'k2')`],
  ])
}

/** A redis.call/pcall argument list (after the function name) using keys `k` and args `a`. */
function callArgs(r: Rng, k: string, a: string): string {
  const key = r.chance(0.8) ? `(${k}[${r.int(1, 2)}] or 'k${r.int(1, 4)}')` : luaStr(r.pick(KEYS))
  const x = (): string => arg(r, k, a)
  const c = r.weighted<string[]>([
    [4, ["'SET'", key, x()]],
    [3, ["'GET'", key]],
    [2, ["'INCR'", key]],
    [2, ["'INCRBY'", key, x()]],
    [2, ["'INCRBYFLOAT'", key, x()]],
    [2, ["'APPEND'", key, x()]],
    [2, [r.pick(["'LPUSH'", "'RPUSH'"]), key, x(), x()]],
    [2, ["'LRANGE'", key, '0', '-1']],
    [1, ["'LPOP'", key]],
    [2, ["'HSET'", key, x(), x()]],
    [2, ["'HGETALL'", key]],
    [1, ["'HGET'", key, x()]],
    [1, ["'HINCRBYFLOAT'", key, "'f'", x()]],
    [2, ["'SADD'", key, x()]],
    [1, ["'SCARD'", key]],
    [1, ["'SISMEMBER'", key, x()]],
    [2, ["'ZADD'", key, x(), x()]],
    [2, ["'ZRANGE'", key, '0', '-1', "'WITHSCORES'"]],
    [1, ["'ZSCORE'", key, x()]],
    [1, ["'ZINCRBY'", key, x(), "'m'"]],
    // an explicit ID: '*' would take each side's own clock
    [1, ["'XADD'", key, r.pick(["'5-*'", "'1-1'", "'9-9'", "'0-0'", "'x'"]), "'f'", x()]],
    [1, ["'XLEN'", key]],
    [2, [r.pick(["'DEL'", "'EXISTS'", "'TYPE'", "'STRLEN'", "'TTL'", "'PERSIST'"]), key]],
    [1, ["'EXPIRE'", key, r.pick(['100', '0', '-1', "'x'", '1.5'])]],
    [1, ["'PING'"]],
    [1, ["'ECHO'", x()]],
    [1, ["'OBJECT'", "'ENCODING'", key]],
    [1, ["'SET'", key, x(), "'EX'", r.pick(["'abc'", '0', '100', '1.5'])]],
    [1, ["'SET'", key, x(), "'NX'", "'XX'"]],
    // noscript commands, with a fitting arity (arity is checked first, and worded differently by Valkey)
    [1, r.pick([["'EVAL'", "'return 1'", '0'], ["'MULTI'"], ["'EXEC'"], ["'WATCH'", key], ["'SUBSCRIBE'", "'ch'"], ["'FCALL'", "'f1'", '0'], ["'SCRIPT'", "'FLUSH'"]])],
    [1, ["'SELECT'", r.pick(['1', '0', '99', "'x'"])]],
    [1, ["'DBSIZE'"]],
    [1, ["'GETRANGE'", key, x(), x()]],
    [1, ["'MGET'", key, `(${k}[1] or 'k3')`]],
    [1, ["'BLPOP'", key, '0']],
  ])
  return c.join(', ')
}

/**
 * HGETALL of a hashtable has no order: its reply is sorted before the script returns it (under
 * RESP3, a `{map = ...}` table, turned into a sorted list).
 */
const unordered = (call: string): string =>
  call.includes("('HGETALL'")
    ? `(function(t) if type(t) == 'table' then if t.map then local a = {} for k, v in pairs(t.map) do a[#a + 1] = k .. '=' .. v end t = a end table.sort(t) end return t end)(${call})`
    : call

/** A table key: strings short and long (5.1 hashes every byte), integers in and past the array part, floats, booleans. */
function tableKey(r: Rng): string {
  return r.weighted<() => string>([
    [4, () => `'${r.pick(['a', 'b', 'c', 'id', 'name', 'x', 'foo', 'bar', 'k1', 'k2', 'k10', 'status', 'data'])}'`],
    [1, () => `'${'long'.repeat(r.int(5, 12))}${r.int(0, 99)}'`],
    [4, () => String(r.int(1, 20))],
    [1, () => String(r.int(-500000, 500000))],
    [1, () => String(r.int(-800, 800) / 8)],
    [1, () => r.pick(['true', 'false', '2^31', '2^40', '2^53', '-0.5', '1e300'])],
  ])()
}

/**
 * A table built by a constructor and assignments (nil ones included: in Lua 5.1 they still take a
 * node), returned as its keys and values in `pairs` order and its length: Lua 5.1's table layout.
 */
function tableProgram(r: Rng): string {
  const fields = Array.from({ length: r.int(0, 6) }, (_, i) =>
    r.weighted<() => string>([
      [3, () => String(r.int(0, 99))],
      [3, () => `[${tableKey(r)}] = ${i}`],
      [2, () => `${r.pick(['a', 'b', 'foo', 'name', 'z'])} = ${i}`],
      [1, () => 'unpack({7, 8, 9})'],
    ])(),
  )
  const body = Array.from({ length: r.int(0, 25) }, (_, i) =>
    r.weighted<() => string>([
      [6, () => `t[${tableKey(r)}] = ${i}`],
      [2, () => `t[${tableKey(r)}] = nil`],
      [1, () => `table.insert(t, ${i})`],
      [1, () => `t[#t + 1] = ${i}`],
      [1, () => "for k in pairs(t) do if type(k) == 'number' and k > 10 then t[k] = nil end end"],
    ])(),
  )
  return `(function() local t = {${fields.join(', ')}} ${body.join(' ')} local o = {#t} for k, v in pairs(t) do o[#o + 1] = tostring(k) o[#o + 1] = v end return o end)()`
}

/** Lua 5.1's pattern functions and format on assorted subjects, patterns and replacements. */
function patternExpr(r: Rng): string {
  const subject = r.pick(["'hello world'", "'a1b2c3'", "'  trim  '", "'key:123:field'", "''", "'aaa'", "'x.y.z'", "'a,b,,c'", "'\\0ab\\0'", "'(nested (parens))'", "'THE Quick'"])
  const pat = r.pick(["'%a+'", "'%d'", "'(%w+)'", "'^%s*(.-)%s*$'", "'%f[%w]%w+'", "'(.)%1'", "'%b()'", "'.-'", "'[^:]+'", "'([^,]*)'", "'x*'", "'%.'", "'[a-c]+'", "'()'", "'%'", "'[a'", "'(()'", "'%g'", "'%z'", "'[%]]'", "'a?b?c?'", "'%u%l+'", "'$'", "'^'", "'%1'", "'(a)(b)'", "'[%a_][%w_]*'"])
  const repl = r.pick(["'<%1>'", "'%0%0'", "'%%'", "'%2'", "'%x'", "'X'", "'%'", "{a = 'A', hello = 'HI'}", 'function(c) return c:upper() end', 'function() return false end', 'function() return {} end', '7'])
  const at = (): string => (r.chance(0.3) ? ', ' + r.pick(['1', '-3', '0', '100', '2.5']) : '')
  return r.weighted<() => string>([
    [2, () => `{string.find(${subject}, ${pat}${at()}${r.chance(0.2) ? ', true' : ''})}`],
    [2, () => `{string.match(${subject}, ${pat}${at()})}`],
    [3, () => `{string.gsub(${subject}, ${pat}, ${repl}${r.chance(0.3) ? ', ' + r.pick(['1', '0', '-1', '2.5']) : ''})}`],
    [3, () => `(function() local o = {} for a, b in string.gmatch(${subject}, ${pat}) do o[#o + 1] = tostring(a) .. '|' .. tostring(b) if #o > 20 then break end end return o end)()`],
    [2, () => `string.format(${r.pick(["'%5.2s|'", "'%c'", "'%5c|'", "'%s|'", "'%u'", "'%x'", "'%o'", "'%.1s|'"])}, ${r.pick(['0', '65', '2^40 + 65', '1e100', '0/0', '-1', "'a\\0b'", "'str'", '2^63'])})`],
  ])()
}

/**
 * A library function called through pcall with assorted arguments, its results made comparable:
 * numbers as `%.17g`, other non-strings as their type. (No `-0` literal, see above; no functions
 * whose last bit comes from libm; no unpack, whose huge ranges crash valkey-server; no tostring,
 * which prints tables' addresses.)
 */
function libraryCall(r: Rng): string {
  const f = r.pick([
    'tonumber', 'type', 'select', 'rawequal', 'rawget', 'string.byte', 'string.char', 'string.sub', 'string.rep',
    'string.upper', 'string.len', 'string.reverse', 'string.format', 'table.concat', 'table.insert', 'table.remove', 'table.getn',
    'table.maxn', 'table.sort', 'math.floor', 'math.ceil', 'math.abs', 'math.fmod', 'math.modf', 'math.frexp', 'math.ldexp', 'math.max',
    'math.min', 'math.sqrt', 'math.log', 'math.log10', 'math.pow', 'math.sin', 'math.cos', 'math.asin', 'math.acos', 'math.deg', 'math.rad',
    'bit.band', 'bit.bor', 'bit.bxor', 'bit.bnot', 'bit.lshift', 'bit.rshift', 'bit.arshift', 'bit.rol', 'bit.tobit', 'bit.tohex', 'bit.bswap',
    'struct.pack', 'cjson.encode', 'cmsgpack.pack', 'redis.sha1hex', 'assert', 'error', 'pcall', 'next', 'ipairs',
  ])
  const value = (): string =>
    r.pick(['1', '-1', '0', '3.7', '-3.7', '255', "'str'", "'12'", "' 12 '", "'0x1A'", "'1e2'", "''", '1e100', '-1e100', '0/0', '1/0', 'nil',
      'true', 'false', '{}', '{1, 2, 3}', '{1, nil, 3}', '{a = 1}', '2^31', '2^32 + 1', '2^53', '2^63', '0.5', "'abc'", "'a\\0b'", "'inf'", "'nan'", '36', '16', '37'])
  const args = Array.from({ length: r.int(0, 3) }, value)
  return `(function() local r = {pcall(${[f, ...args].join(', ')})} for i = 1, 5 do local v = r[i] if type(v) == 'number' then r[i] = string.format('%.17g', v) elseif type(v) ~= 'string' and type(v) ~= 'nil' then r[i] = type(v) end end return {tostring(r[1]), r[2], r[3], r[4]} end)()`
}

/**
 * A block that applies an operation to an operand of some kind (a global, a local, a field, an
 * upvalue, a constant...): most raise a runtime error, whose wording (5.1's variable kinds and names)
 * ends the script.
 */
function runtimeErrorBlock(r: Rng): string {
  const [pre, a] = r.pick<[string, string]>([
    ['', 'nosuchglobal'], ['local x', 'x'], ['local t = {}', 't.fld'], ['local t = {}', 't[1]'], ['local t = {}', 't["a b"]'],
    ['local u; local function g() return u end', 'u'], ['', "('str')"], ['', '(5)'], ['', '(true)'], ['', '({})'],
    ['local t = {}', 't.a.b'], ['local k = "z"; local t = {}', 't[k]'], ['', 'KEYS[5]'], ['', 'redis.nosuch'], ['local t = {}', 't:meth()'],
  ])
  const op = r.pick([
    `return ${a}()`, `return ${a}.y`, `return ${a} + 1`, `return 1 - ${a}`, `return ${a} .. 'x'`, `return #${a}`, `return ${a} < 1`,
    `return -${a}`, `${a}.y = 1`, `return ${a}:m()`, `for i = 1, ${a} do end`, `for k in ${a} do end`, `return ${a} % 2`,
  ])
  return `do ${pre} ${op} end`
}

/** Bytes as a Lua string literal (decimal escapes for anything but plain printable ASCII). */
function luaBytes(b: number[]): string {
  let out = '"'
  for (const c of b) out += c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? String.fromCharCode(c) : `\\${String(c).padStart(3, '0')}`
  return out + '"'
}

/** A random JSON document, sometimes with a few bytes changed (NULs, brackets, quotes) to reach the decoder's errors. */
function jsonDoc(r: Rng, depth = 0): string {
  const num = (): string => r.pick(['0', '-0', '1.5', '1e2', '1E-2', '123456789012345678', '0.1', '1e308', '2e308', '5e-324', '12.0'])
  if (depth > 3 || r.chance(0.35)) return num()
  return r.weighted<() => string>([
    [2, () => r.pick(['"a"', '""', '"\\u00e9"', '"\\ud83d\\ude00"', '"t\\tb"', '"q\\"q"', '"s\\/"', '"é"'])],
    [1, () => r.pick(['true', 'false', 'null'])],
    [2, () => `[${Array.from({ length: r.int(0, 3) }, () => jsonDoc(r, depth + 1)).join(',')}]`],
    [2, () => `{${Array.from({ length: r.int(0, 4) }, () => `${r.pick(['"a"', '"b"', '"name"', '"id"', '"1"', '"10"'])}:${jsonDoc(r, depth + 1)}`).join(',')}}`],
  ])()
}

/** cjson.decode of a (maybe damaged) document, encoded back, and the result of cmsgpack.unpack on its bytes. */
function codecExpr(r: Rng): string {
  const b = [...Buffer.from(jsonDoc(r), 'utf8')]
  if (r.chance(0.4) && b.length > 0) {
    for (let k = r.int(1, 3); k > 0; k--) b[r.int(0, b.length - 1)] = r.pick([0x22, 0x5b, 0x5d, 0x7b, 0x7d, 0x2c, 0x3a, 0x00, 0x5c, 0xff, 0x93, 0xc1])
  }
  return r.chance(0.7)
    ? `{pcall(function() return cjson.encode(cjson.decode(${luaBytes(b)})) end)}`
    : `(function() local ok, v = pcall(cmsgpack.unpack, ${luaBytes(b)}) return {tostring(ok), type(v) == 'table' and cjson.encode(v) or tostring(v)} end)()`
}

/** A table with several string keys, for the encoders that walk tables in `lua_next` order. */
const STRING_KEYED = [
  '{alpha = 1, beta = 2, gamma = 3, delta = 4}', '{id = 7, name = "x", tags = {"a", "b"}, meta = {k = 1, v = 2}}',
  '{b = 1, a = 2, c = 3, [1] = "one", [10] = "ten"}', '{x = true, y = false, z = 0.5, w = "s"}',
]

/** An expression worth returning (k/a name the keys and args tables). */
function expr(r: Rng, k: string, a: string, depth = 0): string {
  const sub = (): string => (depth < 2 ? expr(r, k, a, depth + 1) : String(r.int(0, 9)))
  return r.weighted<() => string>([
    [5, () => unordered(`redis.call(${callArgs(r, k, a)})`)],
    [4, () => unordered(`redis.pcall(${callArgs(r, k, a)})`)],
    [3, () => r.pick(['1', '-7', '0', '3.99', '-3.99', '0.5', '-0.5', '2^53', '2^63', '1e20', '-1e20', '1/0', '-1/0', '2^31', '123456789.75'])],
    [2, () => r.pick(["'str'", "''", "'a\\0b'", "'\\255'", '"1.5"', "'é'"])],
    [1, () => r.pick(['true', 'false', 'nil'])],
    [3, () => `{${Array.from({ length: r.int(0, 4) }, () => (r.chance(0.15) ? 'nil' : sub())).join(', ')}}`],
    [1, () => r.pick(['{1, {2, {3, "x"}}, "y"}', '{"a", true, false, "b"}', '{a = 1}', '{1, 2, a = 3}', '{1.5, 2.7, -0.9}', '{1, {err = "inner"}, 3}', '{1, {ok = "st"}, 3}'])],
    [2, () => r.pick(['{double = 3.5}', '{double = 1/3}', '{double = "x"}', '{double = 2^53}', '{map = {a = 1}}', '{map = {}}', '{set = {x = true}}', '{set = {}}', '{big_number = "123"}', '{big_number = 5}', '{verbatim_string = {format = "txt", string = "hi"}}', '{1, {double = 0.1}, {map = {k = {1, 2}}}}', '{map = {a = {err = "in map"}}}'])],
    [2, () => r.pick(['{ok = "fine"}', '{err = "bad thing"}', '{err = "MYCODE custom"}', '{ok = 5}', '{err = 7}', '{err = ""}', '{ok = ""}'])],
    [2, () => `redis.error_reply(${r.pick(["'oops'", "'MYCODE oops'", "'-X y'", "''", "'-'", "'a b c'"])})`],
    [2, () => `redis.status_reply(${r.pick(["'fine'", "''", "'a b'", "'QUEUED'"])})`],
    [3, () => `tostring(${r.pick(['1.5', '1e15', '1e16', '0.1', '1/0', '-1/0', '2^53', '2^63', '123456789012', '1e100', '3', '0/0', 'nil', 'true', '1e-5', '100/3'])})`],
    [1, () => `tostring(tonumber(${r.pick(["'ff', 16", "'-1', 16", "'7fffffffffffffff', 16", "'ffffffffffffffffff', 16", "' 0x1F ', 16", "'z', 36", "'102', 2", "'1e1', 10", "15, 16", "'1', 99", "'1', 1", "{}, 16", "'-', 16", "'', 8"])}))`],
    [2, () => `tonumber(${r.pick(["'0x10'", "'  12  '", "'1e2'", "'abc'", "'10', 2", "'ff', 16", "'1.5'", "''", "'-0'", "'0x'", "'1e'", "' 0x1p4 '", "'inf'", "'nan'"])})`],
    [3, () => `string.format(${r.pick(["'%.17g', 0.1", "'%d', 3.7", "'%5.2f', math.pi", "'%g', 1e20", "'%x', 255", "'%q', 'a\\nb\\0'", "'%s %s', 1, 1.5", "'%e', 12345.678", "'%.3f', 2.0005", "'%g', 0.0001", "'%g', 1e-5", "'%i', -3", "'%c', 65", "'%o', 8", "'%X', 3054", "'%5s|%-5s|', 'a', 'b'", "'%.0f', 0.5", "'%.14g', 2^53", "'%g', 100000", "'%g', 1000000", "'%%'", "'%s', 1e15", "'%s', 1/0"])})`],
    [4, () => tableProgram(r)],
    [4, () => patternExpr(r)],
    [4, () => libraryCall(r)],
    [3, () => codecExpr(r)],
    [2, () => `cjson.encode(${r.pick(STRING_KEYED)})`],
    [1, () => `cmsgpack.pack(${r.pick(STRING_KEYED)})`],
    [1, () => `{map = ${r.pick(STRING_KEYED.slice(0, 2))}}`],
    [1, () => `{set = {${r.pick(['a', 'b', 'c', 'foo', 'bar'])} = true, ${r.pick(['x', 'id', 'name', 'k1'])} = true, status = true}}`],
    [3, () => `cjson.encode(${r.pick(['{}', '{1, 2, 3}', '{1, 2, nil, 4}', '{a = 1}', '{a = {b = {1, "x"}}}', '"a/b\\n"', '2^53', '3.14159265358979', '0.1', 'true', 'cjson.null', '{[1] = 1, [5] = 5}', '{[1] = 1, [20] = 2}', '1/0', '1e300', '{"é", "\\1"}', '123456789012'])})`],
    [3, () => `cjson.decode(${r.pick(["'[1, 2, 3]'", "'{\"a\": 1}'", "'\"x\"'", "'1.5'", "'[1, null, 3]'", "'[true, false]'", "'[1e2, -0, 0.5]'", "'{'", "'[1,]'", "'\"\\\\u00e9\"'", "'nan'", "'[[[]]]'", "'12345678901234567890'", "' 7 '"])})`],
    [2, () => `{cmsgpack.unpack(cmsgpack.pack(${r.pick(['1, -1, 1.5, "ab", true', '{1, 2, 3}', '{a = 1}', '2^40', '-2^40', '0.1', '"x"', '{}', '-33', '65535', '-129', '2^32'])}))}`],
    [2, () => `cmsgpack.pack(${r.pick(['1, -1, 1.5, "ab", true, {a = 1}', '2^40', '{}', '-1', '127', '128', '255', '256', '-32', '-33', '2^31', '-2^31', '0.1', '"' + 'x'.repeat(40) + '"', '{1, 2}', 'nil', 'false'])})`],
    [2, () => `bit.${r.pick(['band(0xff, 0x0f)', 'bor(1, 2, 4)', 'bxor(5, 3)', 'bnot(0)', 'lshift(1, 31)', 'rshift(-1, 28)', 'arshift(-256, 4)', 'rol(1, 33)', 'ror(1, 1)', 'bswap(0x12345678)', 'tobit(2^32 + 5)', 'tohex(-1)', 'tohex(255, -4)', 'tohex(255, 2)', 'tobit(1.5)', 'tobit(-1.5)', 'band()', 'lshift(1, 40)'])}`],
    [2, () => `struct.${r.pick(['pack("<i4d", -2, 1.5)', 'pack(">I2", 258)', 'pack("b", -1)', 'pack("s", "ab")', 'pack("c3", "abcdef")', 'size("<i4d")', 'pack("<f", 1.5)', 'pack("x")', 'pack("q")'])}`],
    [1, () => `{struct.unpack(${r.pick(['"<i2", "\\1\\2"', '">I4", "\\0\\0\\1\\0"', '"b", "\\255"', '"s", "ab\\0cd"', '"<d", struct.pack("<d", 0.1)', '"<i4", "\\1"'])})}`],
    [2, () => `redis.sha1hex(${r.pick(["''", "'abc'", `${a}[1]`, '1.5', '12'])})`],
    [3, () => r.pick([`${k}[1]`, `${a}[1]`, `#${k}`, `#${a}`, k, a, `${a}[3]`, `#${k} + #${a}`])],
    [1, () => `math.${r.pick(['floor(3.7)', 'fmod(7, 3)', 'fmod(-7, 3)', 'ceil(-0.5)', 'abs(-2^63)', 'max(1, 2.5)', 'sqrt(2)', 'pi', 'huge', 'mod(7, 3)'])}`],
    [1, () => `type(${sub()})`],
    [1, () => `(${sub()}) == ${r.pick(['1', 'nil', 'false', "'OK'"])}`],
    [1, () => `select('#', ${sub()})`],
    [1, () => `table.concat({${r.pick(['1, 2, 3', '"a", 1.5', '1/3'])}}, ${r.pick(["','", "''"])})`],
    [2, () => r.pick(LUA51_EXPRS)],
    [1, () => r.pick(LUA51_BAD_EXPRS)],
    [1, () => `string.${r.pick(['rep("ab", 3)', 'sub("hello", 2, -2)', 'byte("A")', 'char(72, 105)', 'len("é")', 'upper("x")', 'reverse("abc")', 'find("hello", "l")', 'gsub("hello", "l", "L")', 'match("k12", "%d+")'])}`],
  ])()
}

/**
 * A statement run before the returned expression. Never `error()` of a table without a string `err`
 * outside pcall: it crashes valkey-server. The helpers' own argument errors name `server.` in Valkey
 * (`redis.` in Redis 7.2), so only whether they fail is looked at.
 */
function stmt(r: Rng, k: string, a: string): string {
  return r.weighted<() => string>([
    [4, () => `redis.call(${callArgs(r, k, a)})`],
    [3, () => `redis.pcall(${callArgs(r, k, a)})`],
    [1, () => `redis.setresp(${r.pick(['2', '3'])})`],
    [1, () => runtimeErrorBlock(r)],
    [1, () => `local ok, e = pcall(redis.call, ${callArgs(r, k, a)}) if not ok then return {'caught', e} end`],
    [1, () => `local ok, e = pcall(error, ${r.pick(["{err = 'X boom'}", "'plain'", '{}', '{err = 5}', "redis.error_reply('Y no')"])}) if not ok then return {'caught', type(e), type(e) == 'table' and tostring(e.err) or e} end`],
    [1, () => `local r = redis.pcall(${callArgs(r, k, a)}) if type(r) == 'table' and r.err then return {'err', r.err} end`],
    [1, () => `error(${r.pick(["'boom'", "{err = 'MY boom'}", "{err = 'nocode'}", "'x', 0", "redis.error_reply('ERR z')", '12', 'nil'])})`],
    [1, () => `redis.log(redis.LOG_${r.pick(['DEBUG', 'VERBOSE', 'NOTICE', 'WARNING'])}, 'msg', 1)`],
    [1, () => `if not pcall(function() ${r.pick(["redis.log('x')", 'redis.log(9, "x")', 'redis.log("a", "x")', 'redis.setresp()', 'redis.setresp(4)', 'redis.set_repl(99)', 'redis.set_repl()', 'redis.sha1hex()', 'redis.error_reply()', 'redis.status_reply()', 'redis.error_reply({})'])} end) then return 'helper refused' end`],
    // (not REPL_NONE: the writes after it are deliberately left out of the effects, which --dump replays)
    [1, () => r.pick(['redis.set_repl(redis.REPL_ALL)', 'redis.replicate_commands()', 'redis.setresp(2)'])],
    [1, () => r.pick(r.chance(0.7) ? LUA51_BAD_STMTS : LUA51_STMTS)],
    [1, () => r.pick(['x = 1', 'KEYS = 5', 'local t = {} t.x = 1', 'redis.call = nil', 'string.foo = 1', 'nosuchglobal()', 'local n = nil; n.x = 1', 'cjson.decode("[")', 'cmsgpack.unpack("\\193")', "struct.pack('<i4', 'x')", 'bit.band("x")', 'local t = setmetatable({}, {}) t.y = 2', 'do math.randomseed(1) return math.random(100) end', 'do return math.random() end'])],
  ])()
}

/** EVAL shebangs; the last three are refused, so the script never reaches the cache. */
const SHEBANGS = ['#!lua', '#!lua flags=no-writes', '#!lua flags=allow-oom,no-writes', '#!lua flags=allow-stale', '#!lua flags=no-cluster', '#!lua flags=allow-cross-slot-keys', '#!lua flags=bad', '#!lua name=x', '#!js']
const refused = (b: string): boolean => /^#!(lua flags=bad|lua name=x|js)\n/.test(b) || !compiles(b)

/** A script body: a shebang sometimes, a few statements, a return. */
function body(r: Rng, k: string, a: string): string {
  const parts: string[] = []
  if (k === 'KEYS' && r.chance(0.1)) parts.push(r.pick(SHEBANGS) + '\n')
  const n = r.int(0, 2)
  for (let i = 0; i < n; i++) parts.push(stmt(r, k, a) + '\n')
  parts.push(r.chance(0.9) ? `return ${expr(r, k, a)}` : stmt(r, k, a))
  return parts.join('')
}

/** numkeys and the keys/args after it, sometimes wrong. */
function keysAndArgs(r: Rng): string[] {
  const nk = r.int(0, 2)
  const keys = r.some(KEYS, nk, nk)
  const args = r.some(VALUES, 0, 3)
  const numkeys = r.weighted<string>([
    [12, String(nk)],
    [1, r.pick(['-1', 'x', '', '1.5', '9223372036854775808'])],
    [1, String(nk + args.length + 1)],
  ])
  return [numkeys, ...keys, ...args]
}

/** Function library names are fixed per slot: FCALL keeps finding them. */
const LIBS = ['lib1', 'lib2', 'lib3'] as const
const FNS = ['f1', 'g1', 'f2', 'g2', 'f3', 'g3'] as const

/**
 * A library, and whether its refusal's text may legitimately differ (Valkey names
 * `server.register_function` where Redis 7.2 says `redis.register_function`): then only the reply
 * type is compared.
 */
function library(r: Rng, s: State): { code: string; risky: boolean } {
  let risky = false
  const lib = r.pick(LIBS)
  const head = r.weighted<string>([
    [30, `#!lua name=${lib}`],
    [1, r.pick(['#!lua', '', '#!lua name=', '#!lua name=a b', '#!lua name=x flags=no-writes', '#!js name=x', `#!lua name=${lib} x=1`, `#!lua name=${lib}!`])],
  ])
  const lines = [head]
  const n = r.int(0, 2)
  for (let i = 0; i < n; i++) lines.push(`local v${i} = ${r.pick(['1', 'redis.REDIS_VERSION', '{}', "'x'"])}`)
  const fcount = r.weighted<number>([[1, 0], [6, 1], [3, 2]])
  // With two functions both clashing with loaded ones, which one Redis names depends on its dict's
  // (randomly seeded) hash order.
  if (fcount > 1) risky = true
  for (let i = 0; i < fcount; i++) {
    // Mostly the library's own names (f1/g1 in lib1...), sometimes another's (a clash), rarely a bad one.
    const own = lib.slice(3)
    const name = r.weighted<string>([[16, `${r.pick(['f', 'g'])}${own}`], [3, r.pick(FNS)], [1, r.pick(['', 'bad name', '1x', 'a'.repeat(5)])]])
    s.recent.push(name)
    if (s.recent.length > 6) s.recent.shift()
    const fn = `function(keys, args)\n${body(r, 'keys', 'args')}\nend`
    const style = r.int(0, 3)
    if (style <= 1) lines.push(`redis.register_function('${name}', ${fn})`)
    else {
      const flags = r.weighted<string>([
        [3, ''],
        [3, `, flags = {'no-writes'}`],
        [1, `, flags = {${r.some(["'allow-oom'", "'allow-stale'", "'no-cluster'", "'allow-cross-slot-keys'", "'bad-flag'", "'no-writes'"], 1, 3).join(', ')}}`],
        [1, `, flags = ${r.pick(["'no-writes'", '1', '{}'])}`],
      ])
      const extra = r.chance(0.05) ? r.pick([', description = "d"', ', nosuch = 1', ', description = 5']) : ''
      if (/bad-flag|flags = [^{]|nosuch|description = 5/.test(flags + extra)) risky = true
      lines.push(`redis.register_function{function_name = '${name}', callback = ${fn}${flags}${extra}}`)
    }
  }
  if (r.chance(0.04)) {
    const extra = r.pick(["redis.call('PING')", "error('load fail')", 'redis.register_function()', "redis.register_function('z')", "redis.register_function('z', 1)", 'return 1', 'x = 1', "redis.log(redis.LOG_NOTICE, 'loading')", 'redis.register_function{}', 'redis.setresp(3)'])
    if (extra.startsWith('redis.register') || extra.startsWith('redis.setresp')) risky = true
    lines.push(extra)
  }
  return { code: lines.join('\n'), risky }
}

const key = (r: Rng): string => r.pick(KEYS)

const GENS: Array<readonly [number, (r: Rng, s: State) => Cmd]> = [
  [14, (r, s) => {
    const b = body(r, 'KEYS', 'ARGV')
    s.bodies.push(b)
    const cmd = r.chance(0.8) ? 'EVAL' : 'EVAL_RO'
    const ka = keysAndArgs(r)
    // A script is cached once it compiled, whatever happened when it ran; argument errors come first.
    if (/^\d+$/.test(ka[0]!) && Number(ka[0]) <= ka.length - 1 && !refused(b)) s.cached.add(b)
    return { argv: [cmd, b, ...ka] }
  }],
  [5, (r, s) => {
    const b = s.cached.size > 0 && r.chance(0.8) ? r.pick([...s.cached]) : s.bodies.length > 0 && r.chance(0.7) ? r.pick(s.bodies) : body(r, 'KEYS', 'ARGV')
    // Unknown SHAs: Valkey's NOSCRIPT text differs from Redis 7.2's; only the error type is compared.
    const known = s.cached.has(b)
    const cmd = r.chance(0.8) ? 'EVALSHA' : 'EVALSHA_RO'
    const sha = r.chance(0.9) ? sha1(b) : r.pick([sha1(b).toUpperCase(), 'abc', sha1(b).slice(0, 39) + 'x'])
    return { argv: [cmd, sha, ...keysAndArgs(r)], ...(known && sha === sha1(b) ? {} : { ann: ['any'] }) }
  }],
  [3, (r, s) => {
    const b = s.bodies.length > 0 && r.chance(0.5) ? r.pick(s.bodies) : body(r, 'KEYS', 'ARGV')
    s.bodies.push(b)
    if (!refused(b)) s.cached.add(b)
    return { argv: ['SCRIPT', kw(r, 'LOAD'), b] }
  }],
  [2, (r, s) => ({ argv: ['SCRIPT', kw(r, 'EXISTS'), ...Array.from({ length: r.int(1, 3) }, () => (s.bodies.length > 0 && r.chance(0.7) ? sha1(r.pick(s.bodies)) : r.pick(['abc', '', sha1('x')])))] })],
  [1, (r, s) => {
    const opt = r.weighted<string[]>([[4, []], [2, [kw(r, 'ASYNC')]], [2, [kw(r, 'SYNC')]], [1, [r.pick(['x', 'ASYNC x'])]]])
    if (opt.length === 0 || /^(a?sync)$/i.test(opt[0]!)) s.cached.clear()
    return { argv: ['SCRIPT', kw(r, 'FLUSH'), ...opt] }
  }],
  [1, (r) => ({ argv: r.pick([['SCRIPT'], ['SCRIPT', 'NOSUCH'], ['SCRIPT', 'EXISTS'], ['SCRIPT', 'LOAD'], ['SCRIPT', 'LOAD', 'a', 'b'], ['SCRIPT', 'KILL'], ['EVAL'], ['EVALSHA', 'x'], ['FCALL', 'f1'], ['FUNCTION'], ['FUNCTION', 'NOSUCH'], ['FUNCTION', 'KILL'], ['FUNCTION', 'LOAD'], ['FUNCTION', 'DELETE'], ['FUNCTION', 'RESTORE', 'x'], ['FUNCTION', 'RESTORE', 'x', 'BADPOLICY']]) })],
  // functions
  [8, (r, s) => {
    const { code, risky } = library(r, s)
    return { argv: ['FUNCTION', kw(r, 'LOAD'), ...(r.chance(0.6) ? [kw(r, 'REPLACE')] : []), code], ...(risky ? { ann: ['any'] } : {}) }
  }],
  [10, (r, s) => {
    const ka = keysAndArgs(r)
    const fn = s.recent.length > 0 && r.chance(0.85) ? r.pick(s.recent) : r.chance(0.9) ? r.pick(FNS) : r.pick(['nosuch', 'F1', ''])
    return { argv: [r.chance(0.8) ? 'FCALL' : 'FCALL_RO', fn, ...ka] }
  }],
  [2, (r) => {
    const opts: string[] = []
    if (r.chance(0.3)) opts.push(kw(r, 'WITHCODE'))
    if (r.chance(0.3)) opts.push(kw(r, 'LIBRARYNAME'), r.pick(['lib1', 'lib*', '*', 'x', 'LIB1', 'lib[12]']))
    if (r.chance(0.1)) opts.push(r.pick(['LIBRARYNAME', 'BAD', 'WITHCODE']))
    // Libraries and functions come in hash-table order.
    return { argv: ['FUNCTION', kw(r, 'LIST'), ...opts], ann: ['unordered'] }
  }],
  [1, (r) => ({ argv: ['FUNCTION', kw(r, 'DELETE'), r.chance(0.9) ? r.pick(LIBS) : 'nosuch'] })],
  [1, (r) => ({ argv: ['FUNCTION', kw(r, 'FLUSH'), ...(r.chance(0.3) ? [r.pick(['ASYNC', 'SYNC', 'x'])] : [])] })],
  [1, () => ({ argv: ['FUNCTION', 'STATS'] })],
  [1, () => ({ argv: ['FUNCTION', 'DUMP'], ann: ['any'] })],
  // data for the scripts to meet, and a look at what they wrote
  [2, (r) => r.pick(OTHER_TYPES)(r)],
  [2, (r) => ({ argv: [r.pick(['GET', 'TYPE', 'LRANGE', 'HGETALL', 'ZRANGE', 'SMEMBERS', 'TTL']), key(r), ...(r.chance(0.5) ? [] : [])] })],
  [1, (r) => ({ argv: ['SET', key(r), small(r)] })],
]

/** Fix-ups for the data commands above (LRANGE/ZRANGE need a range; SMEMBERS has no order). */
function finish(c: Cmd): Cmd {
  const name = c.argv[0]
  if (name === 'LRANGE' || name === 'ZRANGE') c.argv.push('0', '-1')
  if (name === 'SMEMBERS') c.ann = ['unordered']
  if (name === 'HGETALL') c.ann = ['unordered-pairs']
  if (name === 'TTL') c.ann = ['ttl']
  return c
}

export const scripting: Gen = (r) => {
  const s = state(r)
  const step = s.step++
  if (step === 0) return { argv: ['FUNCTION', 'FLUSH'] }
  if (step === 1) return { argv: ['SCRIPT', 'FLUSH'] }
  return finish(r.weighted(GENS)(r, s))
}
