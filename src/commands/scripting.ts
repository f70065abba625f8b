/**
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT *, FUNCTION *, FCALL, FCALL_RO.
 *
 * The commands parse their arguments here, in the core; running Lua is the job
 * of a scripting engine installed with `new Store({ scripting: lua() })`
 * (`embedis/lua`), so the core never loads the Lua VM. Without an engine every
 * scripting command answers an error that says how to install one.
 */
import { Buffer } from 'node:buffer'
import { fail, replyError, type ReplyError } from '../core/errors.js'
import { OK as OK_STATUS, type Reply } from '../core/reply.js'
import { registerConfig } from '../keyspace/config.js'
import type { Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
import { int64, kw, str } from './args.js'
import { evalDeclaredFlags, FLAG_ALLOW_OOM, FLAG_ALLOW_STALE, FLAG_NO_WRITES } from '../scripting/shebang.js'
import { CF, defineCommand, helpReply, type Arg, type Command } from './table.js'

/** What EVAL/EVALSHA/FCALL hand to the engine. */
export interface ScriptCall {
  /** Script body (EVAL), SHA1 (EVALSHA) or function name (FCALL). */
  target: Arg
  keys: Arg[]
  args: Arg[]
  /** The `_RO` variant: the script must not write. */
  readOnly: boolean
}

/** Restore policy of FUNCTION RESTORE. */
export type RestorePolicy = 'APPEND' | 'REPLACE' | 'FLUSH'

/** Options of FUNCTION LIST. */
export interface FunctionListOptions {
  /** Glob pattern on library names. */
  libraryName?: string | undefined
  withCode?: boolean | undefined
}

/**
 * A scripting engine: what the scripting commands run on. `embedis/lua`
 * provides one (Lua 5.1 as Redis runs it, on fengari). Methods throw
 * `ReplyError` for errors, or return them as replies.
 */
export interface ScriptingEngine {
  eval(ctx: Session, call: ScriptCall): Reply
  evalsha(ctx: Session, call: ScriptCall): Reply
  fcall(ctx: Session, call: ScriptCall): Reply
  /** Compiles and caches a script; returns its SHA1. */
  scriptLoad(body: Arg): string
  scriptExists(shas: string[]): boolean[]
  scriptFlush(): void
  /** SCRIPT KILL (`eval` true) / FUNCTION KILL. */
  kill(eval_: boolean): Reply
  functionLoad(code: Arg, replace: boolean): string
  functionDelete(library: string): void
  functionFlush(): void
  functionList(ctx: Session, options: FunctionListOptions): Reply
  functionDump(): Buffer
  functionRestore(payload: Buffer, policy: RestorePolicy): void
  functionStats(ctx: Session): Reply
  /** True while a script or function runs (re-entrant commands get BUSY). */
  readonly busy: boolean
  /**
   * The flags a cached script (`kind` 'sha') or a function declares; undefined when it is unknown or
   * declares none (a script without a shebang).
   */
  declaredFlags(kind: 'sha' | 'function', name: string): number | undefined
}

/** What `StoreOptions.scripting` takes: installs an engine into a store. */
export interface ScriptingHook {
  install(store: StoreCore): ScriptingEngine
}

const ENGINES = new WeakMap<StoreCore, ScriptingEngine>()

/** Attaches an engine to a store (called by a hook's `install`). */
export function attachScripting(store: StoreCore, engine: ScriptingEngine): void {
  ENGINES.set(store, engine)
}

/** The engine of a store, if one is installed. */
export function scriptingOf(store: StoreCore): ScriptingEngine | undefined {
  return ENGINES.get(store)
}

/**
 * The flags the script an EVAL, EVALSHA or FCALL (or _RO form) would run declares in its shebang or
 * library; undefined for a script without one (or unknown yet), whose command keeps its own flags.
 */
function declaredFlags(store: StoreCore, cmd: Command, argv: readonly Arg[]): number | undefined {
  const a = argv[1]
  if (a === undefined) return undefined
  if (cmd.name === 'eval' || cmd.name === 'eval_ro') return evalDeclaredFlags(a)
  const e = ENGINES.get(store)
  if (e === undefined) return undefined
  return e.declaredFlags(cmd.name.startsWith('fcall') ? 'function' : 'sha', typeof a === 'string' ? a : a.toString('utf8'))
}

/**
 * Redis's evalGetCommandFlags / fcallGetCommandFlags: a script command's flags as dispatch checks
 * them (OOM, MISCONF, CLIENT PAUSE, MULTI): a script that declares flags writes and is refused out of
 * memory unless it says `no-writes` (or `allow-oom`), and may replicate only as far as it writes.
 */
export function scriptCommandFlags(store: StoreCore, cmd: Command, argv: readonly Arg[]): number {
  const f = declaredFlags(store, cmd, argv)
  if (f === undefined) return cmd.flags
  let flags = cmd.flags & ~(CF.STALE | CF.DENYOOM | CF.WRITE | CF.MAY_REPLICATE)
  if (!(f & (FLAG_ALLOW_OOM | FLAG_NO_WRITES))) flags |= CF.DENYOOM
  if (!(f & FLAG_NO_WRITES)) flags |= CF.WRITE
  if (f & FLAG_ALLOW_STALE) flags |= CF.STALE
  return flags
}

/** The error every scripting command answers when no engine is installed. */
export const NOT_ENABLED =
  "scripting is not enabled: create the Store with `new Store({ scripting: lua() })`, importing `lua` from 'embedis/lua'"

function engine(ctx: Session): ScriptingEngine {
  const e = ENGINES.get(ctx.store)
  if (e === undefined) fail(NOT_ENABLED)
  return e
}

// busy-reply-threshold: how long a script may run before it can be stopped (ms).
registerConfig({
  name: 'busy-reply-threshold',
  kind: { type: 'int', min: 0, max: 9223372036854775807n },
  default: 5000,
  aliases: ['lua-time-limit'],
})

const SLOW_EVAL = '-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'
const SLOW_FUNCTION = '-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.'

/** The BUSY error for a command arriving while a script runs (only possible re-entrantly, from a callback). */
export function busyError(evalMode: boolean): ReplyError {
  return replyError(evalMode ? SLOW_EVAL : SLOW_FUNCTION)
}

/** numkeys, keys and args after the script/function argument, with Redis's checks in Redis's order. */
function parseKeysArgs(a: Arg[], badNumkeys: string | undefined): { keys: Arg[]; args: Arg[] } {
  let n: number | bigint
  if (badNumkeys === undefined) n = int64(a[1]!)
  else {
    try {
      n = int64(a[1]!)
    } catch {
      fail(badNumkeys)
    }
  }
  if (n > a.length - 2) fail("Number of keys can't be greater than number of args")
  if (n < 0) fail("Number of keys can't be negative")
  const k = Number(n)
  return { keys: a.slice(2, 2 + k), args: a.slice(2 + k) }
}

function evalParser(readOnly: boolean, badNumkeys?: string) {
  return (a: Arg[]): ScriptCall => {
    const { keys, args } = parseKeysArgs(a, badNumkeys)
    return { target: a[0]!, keys, args, readOnly }
  }
}

/** EVAL's key positions: numkeys keys after the numkeys argument. */
function evalKeys(argv: Arg[]): number[] {
  const n = Number(str(argv[2]!))
  const out: number[] = []
  if (!Number.isInteger(n) || n <= 0) return out
  for (let i = 3; i < 3 + n && i < argv.length; i++) out.push(i)
  return out
}

export const EVAL = defineCommand('eval', {
  parse: evalParser(false),
  run: (ctx, c: ScriptCall): Reply => engine(ctx).eval(ctx, c),
  getKeys: evalKeys,
})

export const EVAL_RO = defineCommand('eval_ro', {
  parse: evalParser(true),
  run: (ctx, c: ScriptCall): Reply => engine(ctx).eval(ctx, c),
  getKeys: evalKeys,
})

export const EVALSHA = defineCommand('evalsha', {
  parse: evalParser(false),
  run: (ctx, c: ScriptCall): Reply => engine(ctx).evalsha(ctx, c),
  getKeys: evalKeys,
})

export const EVALSHA_RO = defineCommand('evalsha_ro', {
  parse: evalParser(true),
  run: (ctx, c: ScriptCall): Reply => engine(ctx).evalsha(ctx, c),
  getKeys: evalKeys,
})

// FCALL looks the function up before numkeys is read (`Function not found` wins), so
// the engine checks numkeys; parse only splits.
function fcallParser(readOnly: boolean) {
  return (a: Arg[]): { name: Arg; rest: Arg[]; readOnly: boolean } => ({ name: a[0]!, rest: a.slice(1), readOnly })
}

function fcallRun(ctx: Session, p: { name: Arg; rest: Arg[]; readOnly: boolean }): Reply {
  const e = engine(ctx)
  return e.fcall(ctx, { target: p.name, keys: p.rest, args: [], readOnly: p.readOnly })
}

/** Splits FCALL's `numkeys key... arg...` (the engine calls it after finding the function). */
export function splitFcallArgs(rest: Arg[]): { keys: Arg[]; args: Arg[] } {
  return parseKeysArgs([EMPTY_ARG, ...rest], 'Bad number of keys provided')
}
const EMPTY_ARG: Arg = ''

export const FCALL = defineCommand('fcall', { parse: fcallParser(false), run: fcallRun, getKeys: evalKeys })
export const FCALL_RO = defineCommand('fcall_ro', { parse: fcallParser(true), run: fcallRun, getKeys: evalKeys })

// ---------------------------------------------------------------- SCRIPT

export const SCRIPT_LOAD = defineCommand('script|load', {
  parse: (a) => a[0]!,
  run: (ctx, body: Arg): Reply => engine(ctx).scriptLoad(body),
})

export const SCRIPT_EXISTS = defineCommand('script|exists', {
  parse: (a) => a.map(str),
  run: (ctx, shas: string[]): Reply => engine(ctx).scriptExists(shas).map((b) => (b ? 1 : 0)),
})

function flushMode(a: Arg[], msg: string): void {
  if (a.length > 1) fail(msg)
  if (a.length === 1) {
    const m = kw(a[0]!)
    if (m !== 'ASYNC' && m !== 'SYNC') fail(msg)
  }
}

export const SCRIPT_FLUSH = defineCommand('script|flush', {
  parse: (a) => flushMode(a, 'SCRIPT FLUSH only support SYNC|ASYNC option'),
  run(ctx): Reply {
    engine(ctx).scriptFlush()
    return OK_STATUS
  },
})

export const SCRIPT_KILL = defineCommand('script|kill', {
  parse: () => undefined,
  run: (ctx): Reply => engine(ctx).kill(true),
})

export const SCRIPT_DEBUG = defineCommand('script|debug', {
  parse(a): string {
    const m = kw(a[0]!)
    if (m !== 'YES' && m !== 'SYNC' && m !== 'NO') fail('Use SCRIPT DEBUG YES/SYNC/NO')
    return m
  },
  run(ctx, m: string): Reply {
    engine(ctx)
    if (m !== 'NO') fail('SCRIPT DEBUG is not supported: the Lua debugger is not available in embedis')
    return OK_STATUS
  },
})

export const SCRIPT_HELP = defineCommand('script|help', {
  parse: () => undefined,
  run: (): Reply =>
    helpReply('SCRIPT', [
      'DEBUG (YES|SYNC|NO)',
      '    Set the debug mode for subsequent scripts executed.',
      'EXISTS <sha1> [<sha1> ...]',
      '    Return information about the existence of the scripts in the script cache.',
      'FLUSH [ASYNC|SYNC]',
      '    Flush the Lua scripts cache. Very dangerous on replicas.',
      '    When called without the optional mode argument, the behavior is determined by the',
      '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
      '    * ASYNC: Asynchronously flush the scripts cache.',
      '    * SYNC: Synchronously flush the scripts cache.',
      'KILL',
      '    Kill the currently executing Lua script.',
      'LOAD <script>',
      '    Load a script into the scripts cache without executing it.',
    ]),
})

// ---------------------------------------------------------------- FUNCTION

/** Redis's addReplySubcommandSyntaxError: names the subcommand as the client spelled it. */
function subcommandSyntax(ctx: Session): string {
  const sub = ctx.argv?.[1]
  const name = sub === undefined ? '' : str(sub)
  return `unknown subcommand or wrong number of arguments for '${name.slice(0, 128)}'. Try FUNCTION HELP.`
}

export const FUNCTION_LOAD = defineCommand('function|load', {
  parse(a): { code: Arg; replace: boolean } {
    let replace = false
    let i = 0
    while (i < a.length - 1) {
      const opt = a[i++]!
      if (kw(opt) === 'REPLACE') {
        replace = true
        continue
      }
      fail(`Unknown option given: ${str(opt)}`)
    }
    if (i >= a.length) fail('Function code is missing')
    return { code: a[i]!, replace }
  },
  run: (ctx, p: { code: Arg; replace: boolean }): Reply => engine(ctx).functionLoad(p.code, p.replace),
})

export const FUNCTION_DELETE = defineCommand('function|delete', {
  parse: (a) => str(a[0]!),
  run(ctx, name: string): Reply {
    engine(ctx).functionDelete(name)
    return OK_STATUS
  },
})

export const FUNCTION_FLUSH = defineCommand('function|flush', {
  parse(a, ctx): void {
    if (a.length > 1) fail(subcommandSyntax(ctx))
    flushMode(a, 'FUNCTION FLUSH only supports SYNC|ASYNC option')
  },
  run(ctx): Reply {
    engine(ctx).functionFlush()
    return OK_STATUS
  },
})

export const FUNCTION_LIST = defineCommand('function|list', {
  parse(a): FunctionListOptions {
    let withCode = false
    let libraryName: string | undefined
    for (let i = 0; i < a.length; i++) {
      const w = kw(a[i]!)
      if (!withCode && w === 'WITHCODE') {
        withCode = true
        continue
      }
      if (libraryName === undefined && w === 'LIBRARYNAME') {
        if (i >= a.length - 1) fail('library name argument was not given')
        libraryName = str(a[++i]!)
        continue
      }
      fail(`Unknown argument ${str(a[i]!)}`)
    }
    return { libraryName, withCode }
  },
  run: (ctx, o: FunctionListOptions): Reply => engine(ctx).functionList(ctx, o),
})

export const FUNCTION_DUMP = defineCommand('function|dump', {
  parse: () => undefined,
  run: (ctx): Reply => engine(ctx).functionDump(),
})

export const FUNCTION_RESTORE = defineCommand('function|restore', {
  parse(a, ctx): { payload: Buffer; policy: RestorePolicy } {
    if (a.length > 2) fail(subcommandSyntax(ctx))
    let policy: RestorePolicy = 'APPEND'
    if (a.length === 2) {
      const p = kw(a[1]!)
      if (p !== 'APPEND' && p !== 'REPLACE' && p !== 'FLUSH') {
        fail('Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.')
      }
      policy = p
    }
    const raw = a[0]!
    return { payload: typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, policy }
  },
  run(ctx, p: { payload: Buffer; policy: RestorePolicy }): Reply {
    engine(ctx).functionRestore(p.payload, p.policy)
    return OK_STATUS
  },
})

export const FUNCTION_STATS = defineCommand('function|stats', {
  parse: () => undefined,
  run: (ctx): Reply => engine(ctx).functionStats(ctx),
})

export const FUNCTION_KILL = defineCommand('function|kill', {
  parse: () => undefined,
  run: (ctx): Reply => engine(ctx).kill(false),
})

export const FUNCTION_HELP = defineCommand('function|help', {
  parse: () => undefined,
  run: (): Reply =>
    helpReply('FUNCTION', [
      'LOAD [REPLACE] <FUNCTION CODE>',
      '    Create a new library with the given library name and code.',
      'DELETE <LIBRARY NAME>',
      '    Delete the given library.',
      'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
      '    Return general information on all the libraries:',
      '    * Library name',
      '    * The engine used to run the Library',
      '    * Functions list',
      '    * Library code (if WITHCODE is given)',
      '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
      'STATS',
      '    Return information about the current function running:',
      '    * Function name',
      '    * Command used to run the function',
      '    * Duration in MS that the function is running',
      '    If no function is running, return nil',
      '    In addition, returns a list of available engines.',
      'KILL',
      '    Kill the current running function.',
      'FLUSH [ASYNC|SYNC]',
      '    Delete all the libraries.',
      '    When called without the optional mode argument, the behavior is determined by the',
      '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
      '    * ASYNC: Asynchronously flush the libraries.',
      '    * SYNC: Synchronously flush the libraries.',
      'DUMP',
      '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
      'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
      '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
      '    control how to handle existing libraries (default APPEND):',
      '    * FLUSH: delete all existing libraries.',
      '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
      '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
      '      libraries with the new libraries (notice that even on this option there is a chance of failure',
      '      in case of functions name collision with another library).',
    ]),
})

