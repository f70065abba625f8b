/**
 * The Lua scripting engine: EVAL scripts and FUNCTION libraries on fengari,
 * in the environment Redis 7.2 gives them (lua.md), behind the
 * `ScriptingEngine` interface the scripting commands call.
 *
 * One Lua state for EVAL scripts and one for functions, per Store, reused.
 * Scripts are compiled once per SHA1; the cache is shared by every session.
 * A script runs synchronously, so nothing interleaves with it; its commands go
 * through a dedicated session (the script client), with time frozen, and its
 * writes reach the effect listeners as the commands it ran (wrapped in
 * MULTI/EXEC when there are several).
 */
import { Buffer } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import { createHash } from 'node:crypto'
import { isBinaryKey, keyBytes } from '../core/bytes.js'
import { E, replyError, ReplyError } from '../core/errors.js'
import { MapReply, NULL_ARRAY, SetReply, Status, type Reply } from '../core/reply.js'
import { compileGlob } from '../core/glob.js'
import {
  attachScripting,
  busyError,
  splitFcallArgs,
  type FunctionListOptions,
  type RestorePolicy,
  type ScriptCall,
  type ScriptingEngine,
  type ScriptingHook,
} from '../commands/scripting.js'
import { bySpelling, CF, lower, TABLE, type Arg, type Command } from '../commands/table.js'
import type { Effect, Keyspace } from '../keyspace/keyspace.js'
import { G, type Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
import { installCompat, Lrand48 } from './compat.js'
import { bytesToArg, errorText, numberToArg, popReply, pushArgs, pushBytes, pushErrorTable, pushReply, toLuaBytes } from './convert.js'
import { fengari, setCurrentState, type LuaState } from './fengari.js'
import { openBit } from './libs/bit.js'
import { openCjson } from './libs/cjson.js'
import { openCmsgpack } from './libs/cmsgpack.js'
import { openStruct } from './libs/struct.js'
import { dumpFunctions, readFunctionsPayload } from './rdb-functions.js'
import { checkLua51 } from './lua51.js'
import { FLAG_ALLOW_OOM, FLAG_EVAL_COMPAT, FLAG_NO_WRITES, SCRIPT_FLAGS, flagBit, parseLibraryMeta, parseShebang, validName } from './shebang.js'

const F = fengari()
const { lua, lauxlib, lualib, to_luastring } = F
const {
  LUA_REGISTRYINDEX,
  LUA_RIDX_GLOBALS,
  LUA_TTABLE,
  LUA_TSTRING,
  LUA_TNUMBER,
  LUA_TFUNCTION,
  LUA_MASKCOUNT,
  LUA_MASKLINE,
  LUA_OK,
} = lua

const s = to_luastring
const K_KEYS = s('KEYS')
const K_ARGV = s('ARGV')
const K_ERR = s('err')
const K_SOURCE = s('source')
const K_LINE = s('line')
const K_IGNORE_STATS = s('ignore_error_stats_update')
const K_C = 'J' // fengari's `what` for JS (C) functions

/** Options of the `lua()` hook. */
export interface LuaOptions {
  /**
   * Where `redis.log()` writes (level 0–3 as `redis.LOG_*`, message). Default:
   * nowhere.
   */
  log?: (level: number, message: string) => void
  /**
   * A hard limit (ms) for a script that has already written. Redis lets such a
   * script run until it ends (SCRIPT KILL answers UNKILLABLE); in-process that
   * would freeze the host for good, so past this limit it is stopped too, its
   * writes so far kept. Default 60000; 0 disables it.
   */
  hardTimeLimit?: number
}

/** One running script or function. */
interface Run {
  caller: Session
  name: string
  evalMode: boolean
  readOnly: boolean
  wrote: boolean
  killed: boolean
  hardKilled: boolean
  start: number
  /** redis.set_repl flags (REPL_AOF = 1 decides whether effects are kept). */
  repl: number
  /** The caller's command, for FUNCTION STATS. */
  argv: Arg[] | null
  /** Declared `allow-oom`: writes go on over the memory limit. */
  allowOom: boolean
  /** Over the memory limit when the script started (after evicting what the policy could): Redis's pre_command_oom_state. */
  oomAtStart: boolean
}

interface Script {
  sha: string
  body: Uint8Array
  flags: number
  ref: number
}

interface LuaFunction {
  name: string
  library: Library
  ref: number
  flags: number
  description: string | null
}

interface Library {
  name: string
  code: Uint8Array
  functions: Map<string, LuaFunction>
}

/** The libraries and functions of one function context (current or being restored). */
interface FunctionSet {
  libraries: Map<string, Library>
  /** By lower-case name: FCALL finds functions case-insensitively. */
  functions: Map<string, LuaFunction>
}

const LOAD_TIMEOUT_MS = 500
const KILL_TEXT = 'Script killed by user with SCRIPT KILL...'

/**
 * The scripting hook for `new Store({ scripting: lua() })`: Lua 5.1 scripts
 * (EVAL/EVALSHA/SCRIPT) and functions (FUNCTION/FCALL) as Redis 7.2 runs them.
 */
export function lua_(options: LuaOptions = {}): ScriptingHook {
  return {
    install(store: StoreCore): ScriptingEngine {
      const e = new LuaEngine(store, options)
      attachScripting(store, e)
      return e
    },
  }
}

/** The engine behind `lua()`. */
export class LuaEngine implements ScriptingEngine {
  readonly ks: Keyspace
  /** The session scripts run their commands in (Redis's Lua client). */
  readonly client: Session
  private evalL: LuaState
  private fnL: LuaState
  private evalHandler = 0
  private fnHandler = 0
  private fnLoadMeta: { api: number } | null = null
  private scripts = new Map<string, Script>()
  private fset: FunctionSet = { libraries: new Map(), functions: new Map() }
  /** The function set FUNCTION LOAD is registering into, while it runs. */
  private loading: { set: FunctionSet; lib: Library; start: number } | null = null
  private readonly rand = new Lrand48()
  private readonly fnRand = new Lrand48()
  private run: Run | null = null
  private readonly log: (level: number, message: string) => void
  private readonly hardLimit: number

  constructor(
    readonly store: StoreCore,
    options: LuaOptions,
  ) {
    this.ks = store.ks
    this.log = options.log ?? (() => {})
    this.hardLimit = options.hardTimeLimit ?? 60000
    const c = store.session()
    // The script client is not a connection: not listed, never paused, always authenticated.
    store.sessions.delete(c)
    c.authenticated = true
    c.gate &= ~G.NOAUTH
    c.noBlock = true
    c.inScript = true
    this.client = c
    this.evalL = this.newState(true)
    this.fnL = this.newState(false)
  }

  get busy(): boolean {
    return this.run !== null
  }

  // ---------------------------------------------------------------- Lua states

  private newState(evalMode: boolean): LuaState {
    const L = lauxlib.luaL_newstate()
    lua.lua_atnativeerror(L, (L: LuaState) => {
      const e = lua.lua_touserdata(L, -1)
      lua.lua_pushstring(L, s(e instanceof Error ? e.message : String(e)))
      return 1
    })
    lauxlib.luaL_requiref(L, s('_G'), lualib.luaopen_base, 1)
    lauxlib.luaL_requiref(L, s('table'), lualib.luaopen_table, 1)
    lauxlib.luaL_requiref(L, s('string'), lualib.luaopen_string, 1)
    lauxlib.luaL_requiref(L, s('math'), lualib.luaopen_math, 1)
    lauxlib.luaL_requiref(L, s('coroutine'), lualib.luaopen_coroutine, 1)
    lua.lua_settop(L, 0)
    installCompat(L)
    openCjson(L)
    lua.lua_setglobal(L, s('cjson'))
    openStruct(L)
    lua.lua_setglobal(L, s('struct'))
    openCmsgpack(L)
    lua.lua_setglobal(L, s('cmsgpack'))
    openBit(L)
    lua.lua_setglobal(L, s('bit'))
    this.pushRedisTable(L, evalMode)
    lua.lua_setglobal(L, s('redis'))
    ;(evalMode ? this.rand : this.fnRand).install(L)
    lua.lua_pushcfunction(L, redisPcall)
    lua.lua_setglobal(L, s('pcall'))

    lua.lua_pushcfunction(L, errorHandler)
    const handler = lauxlib.luaL_ref(L, LUA_REGISTRYINDEX)
    if (evalMode) {
      this.evalHandler = handler
      lua.lua_rawgeti(L, LUA_REGISTRYINDEX, handler)
      lua.lua_setglobal(L, s('__redis__err__handler'))
    } else this.fnHandler = handler

    // Lock the globals: reading a missing one raises, every reachable table is read-only.
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS)
    setErrorMetatable(L)
    protectRecursively(L, -1)
    const G_ = lua.lua_gettop(L)
    // The string metatable too (not reachable from the globals): one script must not break the next.
    lua.lua_pushstring(L, s(''))
    if (lua.lua_getmetatable(L, -1)) protectRecursively(L, -1)
    lua.lua_settop(L, G_)

    if (!evalMode) {
      // The load-time API: only register_function, log and the version are visible.
      lua.lua_createtable(L, 0, 1)
      lua.lua_createtable(L, 0, 8)
      lua.lua_pushcfunction(L, (L: LuaState) => this.registerFunction(L))
      lua.lua_setfield(L, -2, s('register_function'))
      this.pushLogAndVersion(L)
      setErrorMetatable(L)
      lua.lua_setfield(L, -2, s('redis'))
      setErrorMetatable(L)
      protectRecursively(L, -1)
      const api = lauxlib.luaL_ref(L, LUA_REGISTRYINDEX)
      // New globals: an empty read-only table whose metatable's __index is switched
      // between the real globals (calls) and the load-time API (FUNCTION LOAD).
      lua.lua_createtable(L, 0, 0)
      lua.lua_createtable(L, 0, 1)
      lua.lua_pushvalue(L, G_)
      lua.lua_setfield(L, -2, s('__index'))
      const meta = lua.lua_topointer(L, -1)
      setReadonly(meta, true)
      lua.lua_setmetatable(L, -2)
      setReadonly(lua.lua_topointer(L, -1), true)
      lua.lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS)
      this.fnLoadMeta = { api }
    }
    // No table of loaded modules: argument errors in functions called without a name (through
    // pcall) then read `bad argument #1 to '?'`, as in Lua 5.1 (5.3 looks the function up there).
    lua.lua_pushnil(L)
    lua.lua_setfield(L, LUA_REGISTRYINDEX, s('_LOADED'))
    lua.lua_settop(L, 0)
    return L
  }

  private pushLogAndVersion(L: LuaState): void {
    lua.lua_pushcfunction(L, (L: LuaState) => this.redisLog(L))
    lua.lua_setfield(L, -2, s('log'))
    const levels: Array<[string, number]> = [
      ['LOG_DEBUG', 0],
      ['LOG_VERBOSE', 1],
      ['LOG_NOTICE', 2],
      ['LOG_WARNING', 3],
    ]
    for (const [n, v] of levels) {
      lua.lua_pushnumber(L, v)
      lua.lua_setfield(L, -2, s(n))
    }
    lua.lua_pushstring(L, s(this.store.redisVersion))
    lua.lua_setfield(L, -2, s('REDIS_VERSION'))
    const [ma, mi, pa] = this.store.redisVersion.split('.').map(Number)
    lua.lua_pushnumber(L, ((ma ?? 0) << 16) | ((mi ?? 0) << 8) | (pa ?? 0))
    lua.lua_setfield(L, -2, s('REDIS_VERSION_NUM'))
  }

  private pushRedisTable(L: LuaState, evalMode: boolean): void {
    lua.lua_createtable(L, 0, 24)
    const def = (name: string, fn: (L: LuaState) => number): void => {
      lua.lua_pushcfunction(L, fn)
      lua.lua_setfield(L, -2, s(name))
    }
    def('call', (L) => this.redisCall(L, true))
    def('pcall', (L) => this.redisCall(L, false))
    this.pushLogAndVersion(L)
    def('setresp', (L) => {
      const run = this.requireRun(L, 'redis.setresp can only be called inside a script invocation')
      if (lua.lua_gettop(L) !== 1) raise(L, 'redis.setresp() requires one argument.')
      const v = Math.trunc(lua.lua_tonumber(L, 1))
      if (v !== 2 && v !== 3) raise(L, 'RESP version must be 2 or 3.')
      void run
      this.client.resp = v
      return 0
    })
    def('sha1hex', (L) => {
      if (lua.lua_gettop(L) !== 1) raise(L, 'wrong number of arguments')
      const b = lua.lua_type(L, 1) === LUA_TSTRING || lua.lua_type(L, 1) === LUA_TNUMBER ? lua.lua_tolstring(L, 1) : new Uint8Array(0)
      lua.lua_pushstring(L, s(sha1(b)))
      return 1
    })
    def('error_reply', (L) => {
      if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, -1) !== LUA_TSTRING) {
        pushErrorTable(L, 'wrong number or type of arguments')
        return 1
      }
      const e = bytesText(lua.lua_tolstring(L, 1))
      pushErrorTable(L, e.charCodeAt(0) === 45 ? e : '-' + e)
      return 1
    })
    def('status_reply', (L) => {
      if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, -1) !== LUA_TSTRING) {
        pushErrorTable(L, 'wrong number or type of arguments')
        return 1
      }
      lua.lua_createtable(L, 0, 1)
      lua.lua_pushvalue(L, 1)
      lua.lua_setfield(L, -2, s('ok'))
      return 1
    })
    def('set_repl', (L) => {
      const run = this.requireRun(L, 'redis.set_repl can only be called inside a script invocation')
      if (lua.lua_gettop(L) !== 1) raise(L, 'redis.set_repl() requires one argument.')
      const flags = Math.trunc(lua.lua_tonumber(L, -1))
      if ((flags & ~3) !== 0) raise(L, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.')
      run.repl = flags
      this.ks.dropEffects = (flags & 1) !== 0 ? 0 : 1
      return 0
    })
    const repl: Array<[string, number]> = [
      ['REPL_NONE', 0],
      ['REPL_AOF', 1],
      ['REPL_SLAVE', 2],
      ['REPL_REPLICA', 2],
      ['REPL_ALL', 3],
    ]
    for (const [n, v] of repl) {
      lua.lua_pushnumber(L, v)
      lua.lua_setfield(L, -2, s(n))
    }
    def('acl_check_cmd', (L) => {
      this.requireRun(L, 'redis.acl_check_cmd can only be called inside a script invocation')
      const argv = argsOf(L)
      if (typeof argv === 'string') raise(L, argv)
      if (lookup(argv) === undefined) raise(L, 'Invalid command passed to redis.acl_check_cmd()')
      // No ACL users in embedis: the caller may run every command.
      lua.lua_pushboolean(L, true)
      return 1
    })
    if (evalMode) {
      def('breakpoint', (L) => {
        lua.lua_pushboolean(L, false)
        return 1
      })
      def('debug', () => 0)
      def('replicate_commands', (L) => {
        lua.lua_pushboolean(L, true)
        return 1
      })
    }
  }

  private requireRun(L: LuaState, msg: string): Run {
    const r = this.run
    if (r === null) raise(L, msg)
    return r
  }

  private redisLog(L: LuaState): number {
    const argc = lua.lua_gettop(L)
    if (argc < 2) raise(L, 'redis.log() requires two arguments or more.')
    if (!lua.lua_isnumber(L, 1)) raise(L, 'First argument must be a number (log level).')
    const level = Math.trunc(lua.lua_tonumber(L, 1))
    if (level < 0 || level > 3) raise(L, 'Invalid debug level.')
    const parts: string[] = []
    for (let j = 2; j <= argc; j++) {
      const t = lua.lua_type(L, j)
      if (t === LUA_TSTRING || t === LUA_TNUMBER) parts.push(bytesText(lua.lua_tolstring(L, j)))
    }
    this.log(level, parts.join(' '))
    return 0
  }

  // ---------------------------------------------------------------- redis.call

  private redisCall(L: LuaState, raiseErrors: boolean): number {
    const run = this.run
    if (run === null) {
      pushErrorTable(L, 'redis.call/pcall can only be called inside a script invocation')
      return lua.lua_error(L)
    }
    const argv = argsOf(L)
    lua.lua_settop(L, 0)
    if (typeof argv === 'string') {
      pushErrorTable(L, argv)
      return raiseErrors ? lua.lua_error(L) : 1
    }
    const reply = this.scriptCall(run, argv)
    if (reply instanceof ReplyError) {
      pushErrorTable(L, '-' + reply.message)
      // Counted already (by the command, or by scriptCall's refusal): the script's reply won't count it again.
      lua.lua_pushboolean(L, true)
      lua.lua_setfield(L, -2, K_IGNORE_STATS)
      return raiseErrors ? lua.lua_error(L) : 1
    }
    pushReply(L, reply, this.client.resp)
    return 1
  }

  /** Redis's scriptCall: the script-specific checks, then the command through the script client. */
  private scriptCall(run: Run, argv: Arg[]): Reply {
    const found = lookup(argv)
    if (found === undefined) return this.refuse('Unknown Redis command called from script')
    const cmd = found.cmd
    const argc = argv.length
    if ((cmd.arity > 0 && cmd.arity !== argc) || argc < -cmd.arity) {
      return this.refuse('Wrong number of args calling Redis command from script')
    }
    const flags = cmd.flags
    if (flags & CF.NOSCRIPT) return this.refuse('This Redis command is not allowed from script')
    // scriptVerifyWriteCommandAllow and scriptVerifyOOM: once a script has written, it is not stopped
    // halfway by the disk or the memory limit (only its first write is refused).
    if (flags & CF.WRITE) {
      if (run.readOnly) return this.refuse('Write commands are not allowed from read-only scripts.')
      const disk = run.wrote ? undefined : this.store.diskGuard?.()
      if (disk !== undefined) return this.refuse(disk)
    }
    if (flags & CF.DENYOOM && !run.allowOom && !run.wrote && run.oomAtStart) return this.refuse(E.OOM)
    if (flags & CF.WRITE) run.wrote = true
    if ((cmd.name === 'xread' || cmd.name === 'xreadgroup') && hasBlockOption(argv)) {
      return this.refuse(`${bytesText(toLuaBytes(argv[0]!))} command is not allowed with BLOCK option from scripts`)
    }
    const r = this.store.dispatch(this.client, cmd, argv, found.argStart)
    if (r instanceof Promise) {
      r.catch(() => {})
      return replyError('This Redis command is not allowed from script')
    }
    return r
  }

  /** A command scriptCall refuses before it runs: counted in INFO errorstats there, as Redis's scriptCall does. */
  private refuse(message: string): ReplyError {
    const e = replyError(message)
    this.ks.countError(e.message)
    return e
  }

  // ---------------------------------------------------------------- running

  /**
   * Runs the function on top of the stack (below it the error handler), with
   * `nargs` arguments already pushed, as Redis's luaCallFunction does.
   */
  private call(L: LuaState, run: Run, nargs: number): Reply {
    const ks = this.ks
    const frozen = ks.frozenNow
    if (frozen === 0) ks.frozenNow = ks.clock.now()
    const client = this.client
    client.db = run.caller.db
    client.resp = 2
    // Effects are held and sent once the script is done (as Redis propagates at the end of
    // the command), wrapped in MULTI/EXEC when there are several; set_repl can drop them.
    const dropped = ks.dropEffects
    ks.dropEffects = (run.repl & 1) !== 0 ? 0 : 1
    ks.beginBatch()
    this.run = run
    setCurrentState(L)
    const threshold = ks.config.get<number>('busy-reply-threshold')
    if (threshold > 0) lua.lua_sethook(L, this.hook, LUA_MASKCOUNT, 100000)
    let reply: Reply
    try {
      const status = lua.lua_pcall(L, nargs, 1, 1)
      reply = status === LUA_OK ? popReply(L, (client.resp as number) === 3) : this.errorReply(L, run)
    } catch (e) {
      // A JS exception escaped the VM (a bug, or the host ran out of stack): the state
      // may be inconsistent, so it is rebuilt.
      reply = replyError(`Error running script ${run.name}, ${e instanceof Error ? e.message : String(e)}`.slice(0, 200))
      this.rebuild(run.evalMode)
    } finally {
      lua.lua_sethook(L, null, 0, 0)
      this.run = null
      setCurrentState(null)
      ks.frozenNow = frozen
      ks.dropEffects = dropped
      ks.endBatch()
    }
    lua.lua_settop(L, 0)
    // The thread reuses CallInfos across calls (rewriteSource); each holds the function it ran, so
    // the chain is dropped once the script is done, or it would keep what those closures hold.
    L.ci.next = null
    return reply
  }

  /** The count hook: stops a script past busy-reply-threshold (and a killed one, on every line). */
  private readonly hook = (L: LuaState): void => {
    const run = this.run
    if (run === null) return
    if (!run.killed) {
      const elapsed = performance.now() - run.start
      if (elapsed < this.ks.config.get<number>('busy-reply-threshold')) return
      if (run.wrote) {
        if (this.hardLimit <= 0 || elapsed < this.hardLimit) return
        run.hardKilled = true
      }
      run.killed = true
    }
    // Per-line from now on, so a pcall in the script cannot swallow the kill for long.
    lua.lua_sethook(L, this.hook, LUA_MASKLINE, 0)
    pushErrorTable(
      L,
      run.hardKilled ? `Script killed: it ran for more than ${this.hardLimit} ms after writing (its writes so far are kept)` : KILL_TEXT,
    )
    lua.lua_error(L)
  }

  /** The reply for a failed pcall: Redis's luaCallFunction error branch. */
  private errorReply(L: LuaState, run: Run): Reply {
    const t = lua.lua_type(L, -1)
    if (t !== LUA_TTABLE) {
      const msg = t === LUA_TSTRING || t === LUA_TNUMBER ? bytesText(lua.lua_tolstring(L, -1)) : 'execution failure'
      return replyError(`Error running script ${run.name}, ${msg.slice(0, 100)}`)
    }
    const info = errorInfo(L)
    let text = info.msg ?? ''
    if (info.line !== undefined && info.source !== undefined) text += ` script: ${run.name}, on ${info.source}:${info.line}.`
    const e = new ReplyError(text.replace(/[\r\n]/g, ' '))
    e.counted = info.counted
    return e
  }

  private rebuild(evalMode: boolean): void {
    if (evalMode) {
      this.evalL = this.newState(true)
      for (const sc of this.scripts.values()) {
        const r = this.compile(sc.body, sc.flags & FLAG_EVAL_COMPAT ? 0 : sc.body.indexOf(10))
        if (typeof r === 'number') sc.ref = r
      }
    } else {
      const libs = [...this.fset.libraries.values()]
      this.fnL = this.newState(false)
      this.fset = { libraries: new Map(), functions: new Map() }
      for (const lib of libs) this.createLibrary(lib.code, false, this.fset)
    }
  }

  private startRun(caller: Session, name: string, evalMode: boolean, readOnly: boolean, flags: number): Run {
    // A script that may write evicts first, as Redis evicts before any command, and notes whether
    // memory is still over the limit (reads never evict).
    const oomAtStart = !readOnly && this.store.oomError() !== undefined
    return {
      caller,
      name,
      evalMode,
      readOnly,
      wrote: false,
      killed: false,
      hardKilled: false,
      start: performance.now(),
      repl: 3,
      argv: caller.argv,
      allowOom: (flags & FLAG_ALLOW_OOM) !== 0,
      oomAtStart,
    }
  }

  // ---------------------------------------------------------------- EVAL

  /** Compiles a body (from `codeStart`) into the eval state; returns the registry ref or the error text. */
  private compile(body: Uint8Array, codeStart: number): number | string {
    const L = this.evalL
    const checked = checkLua51(codeStart === 0 ? body : body.subarray(codeStart), 'user_script')
    if (!checked.ok) return `Error compiling script (new function): ${bytesText(checked.error)}`
    const code = checked.code
    const st = lauxlib.luaL_loadbufferx(L, code, code.length, s('@user_script'), s('t'))
    if (st !== LUA_OK) {
      const msg = bytesText(lua.lua_tolstring(L, -1) ?? new Uint8Array(0))
      lua.lua_settop(L, 0)
      return `Error compiling script (new function): ${msg}`
    }
    return lauxlib.luaL_ref(L, LUA_REGISTRYINDEX)
  }

  /** The cached script for a body, compiling it on first sight. */
  private scriptFor(bodyArg: Arg): Script {
    const body = toLuaBytes(bodyArg)
    const sha = sha1(body)
    let sc = this.scripts.get(sha)
    if (sc !== undefined) return sc
    const sb = parseShebang(body)
    if (typeof sb === 'string') throw replyError(sb)
    const ref = this.compile(body, sb.codeStart)
    if (typeof ref === 'string') throw replyError(ref)
    sc = { sha, body: body === bodyArg ? Uint8Array.from(body) : body, flags: sb.flags, ref }
    this.scripts.set(sha, sc)
    return sc
  }

  eval(ctx: Session, c: ScriptCall): Reply {
    if (this.run !== null) return busyError(this.run.evalMode)
    return this.runScript(ctx, this.scriptFor(c.target), c)
  }

  evalsha(ctx: Session, c: ScriptCall): Reply {
    if (this.run !== null) return busyError(this.run.evalMode)
    const t = c.target
    const raw = typeof t === 'string' ? t : t.toString('latin1')
    const sc = raw.length === 40 ? this.scripts.get(raw.toLowerCase()) : undefined
    if (sc === undefined) return replyError('-NOSCRIPT No matching script. Please use EVAL.')
    return this.runScript(ctx, sc, c)
  }

  private runScript(ctx: Session, sc: Script, c: ScriptCall): Reply {
    const compat = (sc.flags & FLAG_EVAL_COMPAT) !== 0
    if (!compat && !(sc.flags & FLAG_NO_WRITES) && c.readOnly) {
      return replyError('Can not execute a script with write flag using *_ro command.')
    }
    const run = this.startRun(ctx, sc.sha, true, c.readOnly || (!compat && (sc.flags & FLAG_NO_WRITES) !== 0), compat ? 0 : sc.flags)
    const L = this.evalL
    lua.lua_settop(L, 0)
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, this.evalHandler)
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, sc.ref)
    // KEYS and ARGV are fresh global tables each run, set with the protection lifted.
    F.readonlyBypass.on = true
    try {
      pushArgs(L, c.keys)
      lua.lua_setglobal(L, K_KEYS)
      pushArgs(L, c.args)
      lua.lua_setglobal(L, K_ARGV)
    } finally {
      F.readonlyBypass.on = false
    }
    return this.call(L, run, 0)
  }

  scriptLoad(body: Arg): string {
    if (this.run !== null) throw busyError(this.run.evalMode)
    return this.scriptFor(body).sha
  }

  scriptExists(shas: string[]): boolean[] {
    return shas.map((h) => this.scripts.has(h.toLowerCase()))
  }

  declaredFlags(kind: 'sha' | 'function', name: string): number | undefined {
    if (kind === 'function') return this.fset.functions.get(name.toLowerCase())?.flags
    const sc = this.scripts.get(name.toLowerCase())
    return sc === undefined || sc.flags & FLAG_EVAL_COMPAT ? undefined : sc.flags
  }

  scriptFlush(): void {
    if (this.run !== null) throw busyError(this.run.evalMode)
    this.scripts.clear()
    this.evalL = this.newState(true)
  }

  kill(evalKind: boolean): Reply {
    const run = this.run
    if (run === null) return replyError('-NOTBUSY No scripts in execution right now.')
    if (run.wrote) {
      return replyError(
        '-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.',
      )
    }
    if (evalKind && !run.evalMode) return busyError(false)
    if (!evalKind && run.evalMode) return busyError(true)
    run.killed = true
    return new Status('OK')
  }

  // ---------------------------------------------------------------- FUNCTION

  private registerFunction(L: LuaState): number {
    const ld = this.loading
    if (ld === null) raise(L, 'redis.register_function can only be called on FUNCTION LOAD command')
    const argc = lua.lua_gettop(L)
    if (argc < 1 || argc > 2) raise(L, 'wrong number of arguments to redis.register_function')
    let name: string | undefined
    let desc: string | null = null
    let ref = -1
    let flags = 0
    const fail = (msg: string): never => {
      if (ref >= 0) lauxlib.luaL_unref(L, LUA_REGISTRYINDEX, ref)
      raise(L, msg)
    }
    if (argc === 1) {
      if (lua.lua_type(L, 1) !== LUA_TTABLE) {
        fail('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
      }
      lua.lua_pushnil(L)
      while (lua.lua_next(L, 1) !== 0) {
        if (!lua.lua_isstring(L, -2)) fail('named argument key given to redis.register_function is not a string')
        const key = keyText(L, -2).toLowerCase()
        if (key === 'function_name') {
          if (!lua.lua_isstring(L, -1)) fail('function_name argument given to redis.register_function must be a string')
          name = keyText(L, -1)
        } else if (key === 'description') {
          if (!lua.lua_isstring(L, -1)) fail('description argument given to redis.register_function must be a string')
          desc = keyText(L, -1)
        } else if (key === 'callback') {
          if (lua.lua_type(L, -1) !== LUA_TFUNCTION) fail('callback argument given to redis.register_function must be a function')
          if (ref >= 0) lauxlib.luaL_unref(L, LUA_REGISTRYINDEX, ref)
          ref = lauxlib.luaL_ref(L, LUA_REGISTRYINDEX)
          continue
        } else if (key === 'flags') {
          if (lua.lua_type(L, -1) !== LUA_TTABLE) fail('flags argument to redis.register_function must be a table representing function flags')
          flags = 0
          for (let j = 1; ; j++) {
            lua.lua_pushnumber(L, j)
            lua.lua_gettable(L, -2)
            const t = lua.lua_type(L, -1)
            if (t === lua.LUA_TNIL) {
              lua.lua_pop(L, 1)
              break
            }
            if (!lua.lua_isstring(L, -1)) fail('unknown flag given')
            const bit = flagBit(keyText(L, -1).toLowerCase())
            lua.lua_pop(L, 1)
            if (bit === 0) fail('unknown flag given')
            flags |= bit
          }
        } else {
          fail('unknown argument given to redis.register_function')
        }
        lua.lua_pop(L, 1)
      }
      if (name === undefined) fail('redis.register_function must get a function name argument')
      if (ref < 0) fail('redis.register_function must get a callback argument')
    } else {
      if (!lua.lua_isstring(L, 1)) fail('first argument to redis.register_function must be a string')
      name = keyText(L, 1)
      if (lua.lua_type(L, 2) !== LUA_TFUNCTION) fail('second argument to redis.register_function must be a function')
      lua.lua_settop(L, 2)
      ref = lauxlib.luaL_ref(L, LUA_REGISTRYINDEX)
    }
    const fname = name!
    if (!validName(fname)) {
      fail('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
    }
    if (ld.lib.functions.has(fname.toLowerCase())) fail('Function already exists in the library')
    ld.lib.functions.set(fname.toLowerCase(), { name: fname, library: ld.lib, ref, flags, description: desc })
    return 0
  }

  private loadHook = (L: LuaState): void => {
    const ld = this.loading
    if (ld === null || performance.now() - ld.start <= LOAD_TIMEOUT_MS) return
    lua.lua_sethook(L, this.loadHook, LUA_MASKLINE, 0)
    pushErrorTable(L, 'FUNCTION LOAD timeout')
    lua.lua_error(L)
  }

  private releaseLibrary(lib: Library): void {
    for (const f of lib.functions.values()) lauxlib.luaL_unref(this.fnL, LUA_REGISTRYINDEX, f.ref)
    lib.functions.clear()
  }

  /**
   * functionsCreateWithLibraryCtx: compiles a library and registers its
   * functions into `set`. Returns the library name; throws ReplyError.
   */
  private createLibrary(codeArg: Arg | Uint8Array, replace: boolean, set: FunctionSet, timeout = true): string {
    const code = typeof codeArg === 'string' ? toLuaBytes(codeArg) : Uint8Array.from(codeArg)
    const meta = parseLibraryMeta(code)
    if (typeof meta === 'string') throw replyError(meta)
    if (!validName(meta.name)) {
      throw replyError('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
    }
    if (meta.engine.toLowerCase() !== 'lua') throw replyError(`Engine '${meta.engine}' not found`)
    const old = set.libraries.get(meta.name)
    if (old !== undefined && !replace) throw replyError(`Library '${meta.name}' already exists`)
    if (old !== undefined) unlink(set, old)
    const lib: Library = { name: meta.name, code, functions: new Map() }
    const L = this.fnL
    const m = this.fnLoadMeta!
    let err: string | undefined
    lua.lua_settop(L, 0)
    // Switch the globals' __index to the load-time API.
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS)
    lua.lua_getmetatable(L, 1)
    lua.lua_getfield(L, 2, s('__index'))
    const realGlobals = lauxlib.luaL_ref(L, LUA_REGISTRYINDEX)
    F.readonlyBypass.on = true
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, m.api)
    lua.lua_setfield(L, 2, s('__index'))
    F.readonlyBypass.on = false
    lua.lua_settop(L, 0)
    const body = code.subarray(meta.codeStart)
    this.loading = { set, lib, start: performance.now() }
    try {
      const checked = checkLua51(body, 'user_function')
      const st = checked.ok ? lauxlib.luaL_loadbufferx(L, checked.code, checked.code.length, s('@user_function'), s('t')) : -1
      if (!checked.ok) err = `Error compiling function: ${bytesText(checked.error)}`
      else if (st !== LUA_OK) {
        err = `Error compiling function: ${bytesText(lua.lua_tolstring(L, -1))}`
      } else {
        if (timeout) lua.lua_sethook(L, this.loadHook, LUA_MASKCOUNT, 100000)
        setCurrentState(L)
        if (lua.lua_pcall(L, 0, 0, 0) !== LUA_OK) err = `Error registering functions: ${errorInfo(L).msg ?? ''}`
      }
    } catch (e) {
      err = `Error registering functions: ${e instanceof Error ? e.message : String(e)}`
    } finally {
      lua.lua_sethook(L, null, 0, 0)
      setCurrentState(null)
      this.loading = null
      lua.lua_settop(L, 0)
      lua.lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS)
      lua.lua_getmetatable(L, 1)
      lua.lua_rawgeti(L, LUA_REGISTRYINDEX, realGlobals)
      F.readonlyBypass.on = true
      lua.lua_setfield(L, 2, s('__index'))
      F.readonlyBypass.on = false
      lauxlib.luaL_unref(L, LUA_REGISTRYINDEX, realGlobals)
      lua.lua_settop(L, 0)
      L.ci.next = null
    }
    if (err === undefined && lib.functions.size === 0) err = 'No functions registered'
    if (err === undefined) {
      for (const [k, f] of lib.functions) {
        if (set.functions.has(k)) {
          err = `Function ${f.name} already exists`
          break
        }
      }
    }
    if (err !== undefined) {
      this.releaseLibrary(lib)
      if (old !== undefined) link(set, old)
      throw replyError(err)
    }
    link(set, lib)
    if (old !== undefined) this.releaseLibrary(old)
    return lib.name
  }

  functionLoad(code: Arg, replace: boolean): string {
    if (this.run !== null) throw busyError(this.run.evalMode)
    return this.createLibrary(code, replace, this.fset)
  }

  functionDelete(name: string): void {
    const lib = this.fset.libraries.get(name)
    if (lib === undefined) throw replyError('Library not found')
    unlink(this.fset, lib)
    this.releaseLibrary(lib)
  }

  functionFlush(): void {
    if (this.run !== null) throw busyError(this.run.evalMode)
    for (const lib of this.fset.libraries.values()) this.releaseLibrary(lib)
    this.fset = { libraries: new Map(), functions: new Map() }
  }

  functionList(_ctx: Session, o: FunctionListOptions): Reply {
    // Redis matches the pattern without regard to case (stringmatchlen with nocase).
    const match = o.libraryName !== undefined ? compileGlob(o.libraryName, true) : null
    const out: Reply[] = []
    for (const lib of this.fset.libraries.values()) {
      if (match !== null && !match(lib.name)) continue
      const fns: Reply[] = []
      for (const f of lib.functions.values()) {
        const flags: Reply[] = []
        SCRIPT_FLAGS.forEach((name, i) => {
          if (f.flags & (1 << i)) flags.push(new Status(name))
        })
        fns.push(new MapReply(['name', f.name, 'description', f.description, 'flags', new SetReply(flags)]))
      }
      const entries: Reply[] = ['library_name', lib.name, 'engine', 'LUA', 'functions', fns]
      if (o.withCode) entries.push('library_code', Buffer.from(lib.code))
      out.push(new MapReply(entries))
    }
    return out
  }

  functionDump(): Buffer {
    return dumpFunctions([...this.fset.libraries.values()].map((l) => l.code))
  }

  functionRestore(payload: Buffer, policy: RestorePolicy): void {
    if (this.run !== null) throw busyError(this.run.evalMode)
    const codes = readFunctionsPayload(payload)
    if (typeof codes === 'string') throw replyError(codes)
    const fresh: FunctionSet = { libraries: new Map(), functions: new Map() }
    const dropFresh = (): void => {
      for (const lib of fresh.libraries.values()) this.releaseLibrary(lib)
    }
    try {
      for (const code of codes) this.createLibrary(code, false, fresh, false)
    } catch (e) {
      dropFresh()
      throw e
    }
    if (policy === 'FLUSH') {
      for (const lib of this.fset.libraries.values()) this.releaseLibrary(lib)
      this.fset = fresh
      return
    }
    const cur = this.fset
    const replaced: Library[] = []
    const fail = (msg: string): never => {
      for (const lib of replaced) link(cur, lib)
      dropFresh()
      throw replyError(msg)
    }
    for (const lib of fresh.libraries.values()) {
      const old = cur.libraries.get(lib.name)
      if (old === undefined) continue
      if (policy !== 'REPLACE') fail(`Library ${lib.name} already exists`)
      unlink(cur, old)
      replaced.push(old)
    }
    for (const [k, f] of fresh.functions) if (cur.functions.has(k)) fail(`Function ${f.name} already exists`)
    for (const lib of fresh.libraries.values()) link(cur, lib)
    for (const lib of replaced) this.releaseLibrary(lib)
  }

  functionStats(_ctx: Session): Reply {
    const run = this.run
    if (run !== null && run.evalMode) return busyError(true)
    let running: Reply = null
    if (run !== null) {
      running = new MapReply([
        'name',
        run.name,
        'command',
        run.argv ?? [],
        'duration_ms',
        Math.floor(performance.now() - run.start),
      ])
    }
    let nf = 0
    for (const lib of this.fset.libraries.values()) nf += lib.functions.size
    return new MapReply([
      'running_script',
      running,
      'engines',
      new MapReply(['LUA', new MapReply(['libraries_count', this.fset.libraries.size, 'functions_count', nf])]),
    ])
  }

  fcall(ctx: Session, c: ScriptCall): Reply {
    if (this.run !== null) return busyError(this.run.evalMode)
    const t = c.target
    const name = typeof t === 'string' ? t : t.toString('latin1')
    const fn = this.fset.functions.get(name.toLowerCase())
    if (fn === undefined) return replyError('Function not found')
    const { keys, args } = splitFcallArgs(c.keys)
    if (!(fn.flags & FLAG_NO_WRITES) && c.readOnly) {
      return replyError('Can not execute a script with write flag using *_ro command.')
    }
    const run = this.startRun(ctx, fn.name, false, c.readOnly || (fn.flags & FLAG_NO_WRITES) !== 0, fn.flags)
    const L = this.fnL
    lua.lua_settop(L, 0)
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, this.fnHandler)
    lua.lua_rawgeti(L, LUA_REGISTRYINDEX, fn.ref)
    pushArgs(L, keys)
    pushArgs(L, args)
    return this.call(L, run, 2)
  }
}

// ------------------------------------------------------------------ helpers

function link(set: FunctionSet, lib: Library): void {
  set.libraries.set(lib.name, lib)
  for (const [k, f] of lib.functions) set.functions.set(k, f)
}

function unlink(set: FunctionSet, lib: Library): void {
  set.libraries.delete(lib.name)
  for (const k of lib.functions.keys()) set.functions.delete(k)
}

function sha1(b: Uint8Array): string {
  return createHash('sha1').update(b).digest('hex')
}

function bytesText(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('utf8')
}

function keyText(L: LuaState, idx: number): string {
  return bytesText(lua.lua_tolstring(L, idx))
}

/** Raises `{err = "ERR <msg>"}` (Redis's luaPushError + luaError). */
function raise(L: LuaState, msg: string): never {
  pushErrorTable(L, msg)
  lua.lua_error(L)
  throw new Error('unreachable')
}

/** The arguments of redis.call/pcall/acl_check_cmd as argv, or the error text. */
function argsOf(L: LuaState): Arg[] | string {
  const argc = lua.lua_gettop(L)
  if (argc === 0) return 'Please specify at least one argument for this redis lib call'
  const argv: Arg[] = new Array(argc)
  for (let i = 1; i <= argc; i++) {
    const t = lua.lua_type(L, i)
    if (t === LUA_TNUMBER) argv[i - 1] = numberToArg(lua.lua_tonumber(L, i))
    else if (t === LUA_TSTRING) argv[i - 1] = bytesToArg(lua.lua_tolstring(L, i))
    else return 'Lua redis lib command arguments must be strings or integers'
  }
  return argv
}

/** Redis's lookupCommand: the command (or subcommand) for an argv, without arity checks. */
function lookup(argv: Arg[]): { cmd: Command; argStart: number } | undefined {
  const a0 = argv[0]!
  // The usual spellings (all lower or all upper case) are found without lower-casing the name.
  let cmd = (typeof a0 === 'string' ? bySpelling(a0) : undefined) ?? TABLE.get(typeof a0 === 'string' && isBinaryKey(a0) ? lower(keyBytes(a0)) : lower(a0))
  if (cmd === undefined) return undefined
  if (cmd.subcommands !== undefined && argv.length >= 2) {
    const sub = cmd.subcommands.get(lower(argv[1]!))
    if (sub === undefined) return undefined
    return { cmd: sub, argStart: 2 }
  }
  cmd = cmd as Command
  return { cmd, argStart: 1 }
}

function hasBlockOption(argv: Arg[]): boolean {
  for (let i = 1; i < argv.length; i++) {
    const w = lower(argv[i]!)
    if (w === 'streams') return false
    if (w === 'block') return true
  }
  return false
}

/** Sets `{__index = <error for nonexistent globals>}` as the metatable of the table on top. */
function setErrorMetatable(L: LuaState): void {
  lua.lua_createtable(L, 0, 1)
  lua.lua_pushcfunction(L, protectedTableError)
  lua.lua_setfield(L, -2, s('__index'))
  lua.lua_setmetatable(L, -2)
}

function protectedTableError(L: LuaState): number {
  if (lua.lua_gettop(L) !== 2) lauxlib.luaL_error(L, s('Wrong number of arguments to luaProtectedTableError'))
  const t = lua.lua_type(L, -1)
  if (t !== LUA_TSTRING && t !== LUA_TNUMBER) {
    lauxlib.luaL_error(L, s('Second argument to luaProtectedTableError must be a string or number'))
  }
  const name = bytesText(lua.lua_tolstring(L, -1))
  return lauxlib.luaL_error(L, s(`Script attempted to access nonexistent global variable '${name.replace(/%/g, '%%')}'`))
}

function setReadonly(t: unknown, on: boolean): void {
  ;(t as { readonly: boolean }).readonly = on
}

function isReadonly(t: unknown): boolean {
  return (t as { readonly?: boolean }).readonly === true
}

/** Redis's luaSetTableProtectionRecursively for the table at `idx`. */
function protectRecursively(L: LuaState, idx: number): void {
  const t = lua.lua_absindex(L, idx)
  const p = lua.lua_topointer(L, t)
  if (isReadonly(p)) return
  setReadonly(p, true)
  lauxlib.luaL_checkstack(L, 2, null)
  lua.lua_pushnil(L)
  while (lua.lua_next(L, t) !== 0) {
    if (lua.lua_type(L, -1) === LUA_TTABLE) protectRecursively(L, -1)
    lua.lua_pop(L, 1)
  }
  if (lua.lua_getmetatable(L, t)) {
    protectRecursively(L, -1)
    lua.lua_pop(L, 1)
  }
}

/** Redis's error handler: a non-table error becomes `{err="ERR " .. tostring(e)}`; source and line are added. */
function errorHandler(L: LuaState): number {
  const ar = new lua.lua_Debug()
  let have = lua.lua_getstack(L, 1, ar) !== 0 && lua.lua_getinfo(L, s('nSl'), ar) !== 0
  if (have && bytesText(ar.what) === K_C) have = lua.lua_getstack(L, 2, ar) !== 0 && lua.lua_getinfo(L, s('nSl'), ar) !== 0
  lua.lua_settop(L, 1)
  if (lua.lua_type(L, 1) !== LUA_TTABLE) {
    const msg = lauxlib.luaL_tolstring(L, 1)
    lua.lua_createtable(L, 0, 3)
    pushBytes(L, concatBytes(ERR_PREFIX, msg))
    lua.lua_setfield(L, -2, K_ERR)
    lua.lua_replace(L, 1)
    lua.lua_settop(L, 1)
  }
  if (have) {
    F.readonlyBypass.on = true
    try {
      lua.lua_pushstring(L, ar.source)
      lua.lua_setfield(L, 1, K_SOURCE)
      lua.lua_pushnumber(L, ar.currentline)
      lua.lua_setfield(L, 1, K_LINE)
    } finally {
      F.readonlyBypass.on = false
    }
  }
  return 1
}

const ERR_PREFIX = to_luastring('ERR ')

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** Redis's pcall: an error table with a string `err` is returned as that string. */
function redisPcall(L: LuaState): number {
  const argc = lua.lua_gettop(L)
  if (argc === 0) {
    // Redis's pcall does not check for a function: with none, the value it calls is its own
    // result placeholder, a boolean.
    lua.lua_pushboolean(L, false)
    lua.lua_pushstring(L, to_luastring('attempt to call a boolean value'))
    return 2
  }
  lua.lua_pushboolean(L, true)
  lua.lua_insert(L, 1)
  if (lua.lua_pcall(L, argc - 1, lua.LUA_MULTRET, 0) !== LUA_OK) {
    lua.lua_remove(L, 1)
    if (lua.lua_type(L, -1) === LUA_TTABLE) {
      lua.lua_getfield(L, -1, K_ERR)
      if (lua.lua_isstring(L, -1)) lua.lua_replace(L, -2)
      else lua.lua_pop(L, 1)
    }
    lua.lua_pushboolean(L, false)
    lua.lua_insert(L, 1)
  }
  return lua.lua_gettop(L)
}

/** luaExtractErrorInformation over the error value on top of the stack (left there). */
function errorInfo(L: LuaState): { msg?: string; source?: string; line?: string; counted: boolean } {
  const out: { msg?: string; source?: string; line?: string; counted: boolean } = { counted: false }
  const t = lua.lua_type(L, -1)
  if (t === LUA_TSTRING || t === LUA_TNUMBER) {
    out.msg = 'ERR ' + bytesText(lua.lua_tolstring(L, -1))
    return out
  }
  if (t !== LUA_TTABLE) return out
  const field = (k: Uint8Array): string | undefined => {
    lua.lua_getfield(L, -1, k)
    const ft = lua.lua_type(L, -1)
    const v = ft === LUA_TSTRING || ft === LUA_TNUMBER ? bytesText(lua.lua_tolstring(L, -1)) : undefined
    lua.lua_pop(L, 1)
    return v
  }
  out.msg = field(K_ERR)
  out.source = field(K_SOURCE)
  out.line = field(K_LINE)
  lua.lua_getfield(L, -1, K_IGNORE_STATS)
  out.counted = lua.lua_toboolean(L, -1)
  lua.lua_pop(L, 1)
  return out
}

export { errorText, NULL_ARRAY }
