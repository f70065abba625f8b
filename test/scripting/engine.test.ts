import { describe, expect, it } from 'vitest'
import { ManualClock, type Effect } from '../../src/index.js'
import { lua } from '../../src/scripting/index.js'
import { NOT_ENABLED } from '../../src/commands/scripting.js'
import { err, useStores } from '../helpers/store.js'
import { BigNumber } from '../../src/core/reply.js'
import { encodeReply } from '../../src/protocol/resp.js'

const newStore = useStores({ scripting: lua(), activeExpiry: true })

describe('without the hook', () => {
  it('answers every scripting command with how to enable it', () => {
    const s = newStore({ scripting: undefined })
    for (const argv of [
      ['EVAL', 'return 1', '0'],
      ['EVALSHA', 'a'.repeat(40), '0'],
      ['SCRIPT', 'LOAD', 'return 1'],
      ['FUNCTION', 'LIST'],
      ['FCALL', 'f', '0'],
    ]) {
      expect(err(() => s.call(argv[0]!, ...argv.slice(1)))).toBe('ERR ' + NOT_ENABLED)
    }
    // Argument errors still come first, as they would from any command.
    expect(err(() => s.call('EVAL', 'return 1', 'x'))).toBe('ERR value is not an integer or out of range')
  })
})

describe('typed API', () => {
  it('eval, evalsha, scriptLoad, scriptExists, scriptFlush', () => {
    const s = newStore()
    expect(s.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", ['n'], [5])).toBe(5)
    expect(s.eval('return {KEYS[1], ARGV[1], ARGV[2]}', ['k'], ['a', 1.5])).toEqual(['k', 'a', '1.5'])
    const sha = s.scriptLoad('return ARGV[1] .. "!"')
    expect(sha).toMatch(/^[0-9a-f]{40}$/)
    expect(s.evalsha(sha, [], ['hi'])).toBe('hi!')
    expect(s.scriptExists(sha, '0'.repeat(40))).toEqual([true, false])
    s.scriptFlush()
    expect(s.scriptExists(sha)).toEqual([false])
    expect(err(() => s.evalsha(sha))).toBe('NOSCRIPT No matching script. Please use EVAL.')
    expect(err(() => s.eval('error("boom")'))).toMatch(/^ERR user_script:1: boom script: [0-9a-f]{40}, on @user_script:1\.$/)
  })

  it('returns Buffers with buffers: true, and reads binary arguments exactly', () => {
    const s = newStore()
    const bin = Buffer.from([0, 255, 1, 128])
    expect(s.eval('return ARGV[1]', [], [bin], { buffers: true })).toEqual(bin)
    expect(s.eval('return #ARGV[1]', [], [bin])).toBe(4)
    s.eval("redis.call('SET', KEYS[1], ARGV[1])", [bin], [bin])
    expect(s.callBuffer('GET', bin)).toEqual(bin)
  })

  it('read-only runs refuse writes', () => {
    const s = newStore()
    expect(err(() => s.eval("return redis.call('SET', 'k', 'v')", [], [], { readOnly: true }))).toMatch(
      /^ERR Write commands are not allowed from read-only scripts\. script: /,
    )
    expect(s.call('EXISTS', 'k')).toBe(0)
  })

  it('defineScript runs by SHA and reloads after SCRIPT FLUSH', () => {
    const s = newStore()
    const incr = s.defineScript("return redis.call('INCR', KEYS[1])")
    expect(incr.run(['hits'])).toBe(1)
    s.call('SCRIPT', 'FLUSH')
    expect(incr.run(['hits'])).toBe(2)
    expect(s.scriptExists(incr.sha)).toEqual([true])
  })

  it('functions: load, fcall, list, delete, flush', () => {
    const s = newStore()
    const code = "#!lua name=lib\nredis.register_function{function_name='add', callback=function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end, description='adds'}\nredis.register_function{function_name='get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}"
    expect(s.functionLoad(code)).toBe('lib')
    expect(s.fcall('add', ['c'], [3])).toBe(3)
    expect(s.fcall('get', ['c'], [], { readOnly: true })).toBe('3')
    expect(err(() => s.fcall('add', ['c'], [1], { readOnly: true }))).toBe('ERR Can not execute a script with write flag using *_ro command.')
    expect(s.functionList({ withCode: true })).toEqual([
      {
        libraryName: 'lib',
        engine: 'LUA',
        functions: [
          { name: 'add', description: 'adds', flags: [] },
          { name: 'get', description: null, flags: ['no-writes'] },
        ],
        libraryCode: code,
      },
    ])
    expect(err(() => s.functionLoad(code))).toBe("ERR Library 'lib' already exists")
    expect(s.functionLoad(code.replace("'adds'", "'adds again'"), { replace: true })).toBe('lib')
    s.functionDelete('lib')
    expect(err(() => s.fcall('add', ['c'], [1]))).toBe('ERR Function not found')
    s.functionLoad(code)
    s.functionFlush()
    expect(s.functionList()).toEqual([])
  })

  it('FUNCTION DUMP output restores, here and after a flush', () => {
    const s = newStore()
    s.functionLoad("#!lua name=a\nredis.register_function('fa', function() return 'A' end)")
    s.functionLoad("#!lua name=b\nredis.register_function('fb', function() return 'B' end)")
    const dump = s.callBuffer('FUNCTION', 'DUMP') as Buffer
    s.functionFlush()
    expect(s.call('FUNCTION', 'RESTORE', dump)).toBe('OK')
    expect([s.fcall('fa'), s.fcall('fb')]).toEqual(['A', 'B'])
    expect(err(() => s.call('FUNCTION', 'RESTORE', dump))).toBe('ERR Library a already exists')
    expect(s.call('FUNCTION', 'RESTORE', dump, 'REPLACE')).toBe('OK')
    const bad = Buffer.from(dump)
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1
    expect(err(() => s.call('FUNCTION', 'RESTORE', bad))).toBe('ERR DUMP payload version or checksum are wrong')
  })
})

describe('RESP3 big numbers', () => {
  it('a script returning {big_number=…} answers `(` in RESP3 and a bulk string in RESP2, as valkey 8 does', () => {
    const s = newStore()
    const r = s.session().execute(['EVAL', "return {big_number='1234567890123456789012'}", '0'])
    expect(r).toBeInstanceOf(BigNumber)
    expect(encodeReply(r as BigNumber, 3).toString()).toBe('(1234567890123456789012\r\n')
    expect(encodeReply(r as BigNumber, 2).toString()).toBe('$22\r\n1234567890123456789012\r\n')
    expect(s.call('EVAL', "return {big_number='42'}", '0')).toBe('42')
  })
})

describe('deeply nested replies', () => {
  // Lua building a chain of N tables under the top one; the shapes and depths are valkey's, byte for byte.
  const arrays = (n: number) => `local t = {} local c = t for i=1,${n} do local x = {} c[1] = x c = x end return t`
  const maps = (n: number) => `redis.setresp(3) local t = {map={}} local c = t for i=1,${n} do local x = {map={}} c.map.k = x c = x end return t`
  const sets = (n: number) => `local t = {set={}} local c = t for i=1,${n} do local x = {set={}} c.set[x] = true c = x end return t`
  const E = '-ERR reached lua stack limit\r\n'
  const depth = (r: unknown): [number, unknown] => {
    let d = 0
    while (Array.isArray(r) && r.length > 0) {
      d++
      r = r[0]
    }
    return [d, r]
  }

  it('nest as deep as Redis converts them: 7,995 arrays, the next level is the stack-limit error', () => {
    const s = newStore()
    expect(depth(s.call('EVAL', arrays(7994), '0'))).toEqual([7994, []])
    const [d, innermost] = depth(s.call('EVAL', arrays(7995), '0'))
    expect(d).toBe(7995)
    expect((innermost as Error).message).toBe('ERR reached lua stack limit')
    expect(encodeReply(s.session().execute(['EVAL', arrays(7995), '0']) as never, 2).toString('latin1')).toBe('*1\r\n'.repeat(7995) + E)
    // Through a transaction (its replies are copied when EXEC ends) and the Buffer shape.
    s.call('MULTI')
    s.call('EVAL', arrays(7994), '0')
    expect(depth((s.call('EXEC') as unknown[])[0])).toEqual([7994, []])
    expect(depth(s.callBuffer('EVAL', arrays(7994), '0'))[0]).toBe(7994)
  })

  it('count a map or set level as three stack slots, as Redis does (its key is on the stack too)', () => {
    const sess = newStore().session()
    sess.execute(['HELLO', '3'])
    const run = (body: string) => encodeReply(sess.execute(['EVAL', body, '0']) as never, 3).toString('latin1')
    expect(run(maps(2664))).toBe('%1\r\n$1\r\nk\r\n'.repeat(2664) + '%0\r\n')
    // At the 2,665th map both the key and the value are past the limit.
    expect(run(maps(2665))).toBe('%1\r\n$1\r\nk\r\n'.repeat(2664) + '%1\r\n' + E + E)
    expect(run(sets(2665))).toBe('~1\r\n'.repeat(2665) + E)
  })
})

describe('error statistics', () => {
  it('counts each error once, as recorded from valkey 8: a redis.call error when it happens, not again in the reply', () => {
    const s = newStore()
    const x = s.session()
    const stats = () => [
      String(s.call('INFO', 'errorstats')).replace(/\r\n/g, ' ').trim(),
      /total_error_replies:(\d+)/.exec(String(s.call('INFO', 'stats')))![1],
    ]
    x.execute(['SET', 's', 'abc'])
    x.execute(['EVAL', "return redis.pcall('INCR','s')", '0'])
    expect(stats()).toEqual(['# Errorstats errorstat_ERR:count=1', '1'])
    x.execute(['EVAL', "return redis.call('INCR','s')", '0'])
    expect(stats()).toEqual(['# Errorstats errorstat_ERR:count=2', '2'])
    x.execute(['EVAL', "return {err='MYERR oops'}", '0'])
    x.execute(['EVAL', "error('boom')", '0'])
    expect(stats()).toEqual(['# Errorstats errorstat_ERR:count=3 errorstat_MYERR:count=1', '4'])
    s.call('CONFIG', 'RESETSTAT')
    // Refused by the script layer (unknown command, arity) or before any command (argument types).
    x.execute(['EVAL', "return redis.call('NOSUCH')", '0'])
    x.execute(['EVAL', "return redis.pcall('GET')", '0'])
    x.execute(['EVAL', "return redis.call('GET', {})", '0'])
    expect(stats()).toEqual(['# Errorstats errorstat_ERR:count=3', '3'])
    expect(String(s.call('INFO', 'commandstats'))).toMatch(/cmdstat_eval:calls=3,.*,rejected_calls=0,failed_calls=3/)
  })
})

describe('sandbox', () => {
  it('gives Redis errors for escapes and leaves the host untouched', () => {
    const s = newStore()
    const cases: Array<[string, RegExp]> = [
      ['os.exit(1)', /Script attempted to access nonexistent global variable 'os'/],
      ['return io.open("/etc/passwd")', /nonexistent global variable 'io'/],
      ['return require("fs")', /nonexistent global variable 'require'/],
      ['return loadfile("/etc/passwd")', /nonexistent global variable 'loadfile'/],
      ['return dofile("/etc/passwd")', /nonexistent global variable 'dofile'/],
      ['print("x")', /nonexistent global variable 'print'/],
      ['setmetatable(string, {})', /^ERR Attempt to modify a readonly table script:/],
      ['getmetatable("").__index = {}', /Attempt to modify a readonly table/],
      ['string.upper = nil', /^ERR user_script:1: Attempt to modify a readonly table/],
      ['newglobal = 1', /^ERR user_script:1: Attempt to modify a readonly table/],
      ['rawset(_G, "g", 1)', /^ERR Attempt to modify a readonly table/],
      ['local function f(n) return 1 + f(n + 1) end return f(1)', /stack overflow/],
      ['return loadstring(string.dump(function() end))', /./],
      ['return load("return 1")', /function expected, got string/],
    ]
    for (const [script, re] of cases) {
      let out: string
      try {
        out = String(s.eval(script))
      } catch (e) {
        out = (e as Error).message
      }
      expect(out, script).toMatch(re)
    }
    // Still alive, and the library tables intact for the next script.
    expect(s.eval('return string.upper("ok")')).toBe('OK')
    expect(s.eval('return ("x"):rep(2)')).toBe('xx')
  })

  it('runs calls at every depth after errors, tail calls and coroutines unwound frames', () => {
    const s = newStore()
    const script = `
      local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
      local function tail(n, acc) if n == 0 then return acc end return tail(n - 1, acc + 1) end
      local out = {}
      out[#out + 1] = tostring(pcall(function() local function f(n) return 1 + f(n + 1) end return f(1) end))
      out[#out + 1] = depth(300)
      out[#out + 1] = select(2, pcall(function() return depth(10) + error({code = 7}) end)).code
      out[#out + 1] = tail(5000, 0)
      local co = coroutine.wrap(function(x) local y = coroutine.yield(depth(x)) return depth(y) + 1 end)
      out[#out + 1] = co(20)
      out[#out + 1] = co(30)
      out[#out + 1] = select('#', pcall(depth, 40))
      out[#out + 1] = depth(3)
      return out`
    for (let i = 0; i < 3; i++) expect(s.eval(script)).toEqual(['false', 300, 7, 5000, 20, 31, 2, 3])
  })

  it('keeps no call frame of a finished script (nor the functions and data they held)', () => {
    const s = newStore({ scripting: undefined })
    const engine = lua().install(s) as unknown as { evalL: { ci: { next: unknown } } }
    s.eval('local big = {} for i = 1, 1000 do big[i] = i end local function f(n) if n == 0 then return #big end return f(n - 1) end return f(50)')
    expect(engine.evalL.ci.next).toBeNull()
  })

  it('stops an endless loop at busy-reply-threshold', () => {
    const s = newStore({ config: { 'busy-reply-threshold': 50 } })
    const t0 = Date.now()
    expect(err(() => s.eval('while true do end'))).toMatch(/^ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.$/)
    expect(Date.now() - t0).toBeLessThan(5000)
    // A pcall cannot swallow the kill.
    expect(err(() => s.eval('while true do pcall(function() while true do end end) end'))).toMatch(/Script killed by user/)
    expect(s.eval('return 1')).toBe(1)
  })

  it('lets a script that wrote run past the threshold, up to the hard limit', () => {
    const s = newStore({ config: { 'busy-reply-threshold': 20 }, scripting: lua({ hardTimeLimit: 300 }) })
    const t0 = Date.now()
    expect(err(() => s.eval("redis.call('SET', 'w', 1) while true do end"))).toMatch(/^ERR Script killed: it ran for more than 300 ms after writing/)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    expect(s.call('GET', 'w')).toBe('1')
    // A script that wrote and finishes before the hard limit completes.
    expect(s.eval("redis.call('SET', 'w', 2) local t = 0 for i = 1, 3e4 do t = t + i end return t")).toBe(450015000)
  })
})

describe('execution', () => {
  it("reports a script's writes as its commands, wrapped in MULTI/EXEC", () => {
    const s = newStore()
    const seen: Effect[] = []
    s.onEffect((e) => seen.push({ db: e.db, argv: e.argv.map(String) }))
    s.eval("redis.call('SET', 'a', '1') redis.call('INCR', 'a') return redis.call('GET', 'a')")
    // The commands' own effects (whatever each write reports), inside MULTI ... EXEC.
    expect(seen.length).toBe(4)
    expect(seen[0]!.argv).toEqual(['MULTI'])
    expect(seen[1]!.argv).toEqual(['SET', 'a', '1'])
    expect(seen[2]!.argv[1]).toBe('a')
    expect(seen[3]!.argv).toEqual(['EXEC'])
    seen.length = 0
    s.eval("redis.call('SET', 'b', '1')")
    expect(seen.length).toBe(1)
    expect(seen[0]!.argv[0]).toBe('SET')
    seen.length = 0
    s.eval("return redis.call('GET', 'b')")
    expect(seen).toEqual([])
    s.eval("redis.set_repl(redis.REPL_NONE) redis.call('SET', 'c', '1')")
    expect(seen).toEqual([])
    expect(s.call('GET', 'c')).toBe('1')
  })

  it('freezes time while the script runs', () => {
    const clock = new ManualClock(1_000_000)
    const s = newStore({ clock })
    const r = s.eval("redis.call('SET', 'k', 'v', 'PX', 100) local a = redis.call('PTTL', 'k') return {a, redis.call('TIME')[1]}") as unknown[]
    expect(r).toEqual([100, '1000'])
  })

  it('runs in the caller database and leaves the caller there', () => {
    const s = newStore()
    s.call('SELECT', '3')
    s.eval("redis.call('SET', 'in3', 'x') redis.call('SELECT', 5) redis.call('SET', 'in5', 'y')")
    expect(s.call('GET', 'in3')).toBe('x')
    expect(s.call('DBSIZE')).toBe(1)
    s.call('SELECT', '5')
    expect(s.call('GET', 'in5')).toBe('y')
  })

  it('answers BUSY to a script started re-entrantly, and SCRIPT KILL stops the running one', () => {
    const s = newStore()
    const replies: unknown[] = []
    // A session's out-of-band replies are delivered synchronously, while the script runs.
    const sub = s.session()
    sub.execute(['SUBSCRIBE', 'trigger'])
    sub.out = () => {
      try {
        replies.push(s.call('EVAL', 'return 1', '0'))
      } catch (e) {
        replies.push((e as Error).message)
      }
      try {
        replies.push(s.call('FUNCTION', 'STATS'))
      } catch (e) {
        replies.push((e as Error).message)
      }
      try {
        replies.push(s.call('SCRIPT', 'KILL'))
      } catch (e) {
        replies.push((e as Error).message)
      }
    }
    // A write makes the script unkillable.
    s.eval("redis.call('SET', 'w', 1) redis.call('PUBLISH', 'trigger', 'x')")
    expect(replies[0]).toBe('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.')
    expect(replies[1]).toBe('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.')
    expect(replies[2]).toMatch(/^UNKILLABLE /)
    sub.close()
    expect(err(() => s.call('SCRIPT', 'KILL'))).toBe('NOTBUSY No scripts in execution right now.')
  })

  it('kills a script on SCRIPT KILL when it has not written', () => {
    const s = newStore()
    s.functionLoad("#!lua name=l\nredis.register_function('spin', function() redis.call('PUBLISH', 'go', 'x') while true do end end)")
    const seen: unknown[] = []
    const sub = s.session()
    sub.execute(['SUBSCRIBE', 'go'])
    sub.out = () => {
      seen.push(s.call('FUNCTION', 'STATS'))
      seen.push(s.call('FUNCTION', 'KILL'))
    }
    const t0 = Date.now()
    expect(err(() => s.call('FCALL', 'spin', '0'))).toBe('ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.')
    // Killed at once, not at the 5 s threshold.
    expect(Date.now() - t0).toBeLessThan(2000)
    sub.close()
    const stats = seen[0] as unknown[]
    expect(stats[0]).toBe('running_script')
    expect((stats[1] as unknown[]).slice(0, 4)).toEqual(['name', 'spin', 'command', ['FCALL', 'spin', '0']])
    expect(seen[1]).toBe('OK')
  })

  it('RESP3 callers get RESP3 types from scripts', () => {
    const s = newStore()
    s.call('HELLO', '3')
    expect(s.eval('return {map = {a = 1}}')).toEqual(new Map([['a', 1]]))
    expect(s.eval('redis.setresp(3) return true')).toBe(true)
    expect(s.eval('return {double = 1.5}')).toBe(1.5)
  })

  it('scripts inside MULTI run at EXEC', () => {
    const s = newStore()
    const sess = s.session()
    sess.execute(['MULTI'])
    expect(sess.execute(['EVAL', "return redis.call('INCR', 'q')", '0'])).toMatchObject({ value: 'QUEUED' })
    expect(s.call('GET', 'q')).toBeNull()
    expect(sess.execute(['EXEC'])).toEqual([1])
  })
})
