import { asArg, type Bytes } from '../core/bytes.js'
import { fail, ReplyError } from '../core/errors.js'
import { numArg } from '../commands/args.js'
import {
  EVAL,
  EVAL_RO,
  EVALSHA,
  EVALSHA_RO,
  FCALL,
  FCALL_RO,
  FUNCTION_DELETE,
  FUNCTION_FLUSH,
  FUNCTION_LIST,
  FUNCTION_LOAD,
  SCRIPT_EXISTS,
  SCRIPT_FLUSH,
  SCRIPT_LOAD,
} from '../commands/scripting.js'
import type { Reply } from '../core/reply.js'
import type { Arg } from '../commands/table.js'
import { toJs, type StoreCore } from '../store-core.js'

/** An argument a script receives in KEYS/ARGV: strings and Buffers as they are, numbers in decimal. */
export type ScriptArg = Bytes | number

/**
 * What a script returns, converted as `store.call()` converts replies: a Lua
 * string → string, number → integer (number; bigint past 2^53), `true` → 1,
 * `false`/nil → null, a table → array, `{ok=...}` → its string; `{err=...}`
 * is thrown as `ReplyError`.
 */
export type ScriptResult = string | number | bigint | null | ScriptResult[]

/** Options of `eval()`, `evalsha()`, `fcall()` and scripts made by `defineScript()`. */
export interface ScriptOptions {
  /** Run read-only (EVAL_RO / EVALSHA_RO / FCALL_RO): a write inside fails. */
  readOnly?: boolean
  /** Bulk strings as Buffers (exact bytes) instead of UTF-8 strings. */
  buffers?: boolean
}

/** A function of a loaded library, as `functionList()` reports it. */
export interface FunctionInfo {
  name: string
  description: string | null
  flags: string[]
}

/** A library, as `functionList()` reports it. */
export interface LibraryInfo {
  libraryName: string
  engine: string
  functions: FunctionInfo[]
  /** With `withCode`. */
  libraryCode?: string
}

/** A script bound to a store by `defineScript()`: runs by SHA1 and loads itself when the cache does not have it. */
export interface DefinedScript {
  /** The script's SHA1. */
  readonly sha: string
  /** The script body. */
  readonly body: string
  /** Runs the script with these keys and arguments. */
  run(keys?: ScriptArg[], args?: ScriptArg[], options?: ScriptOptions): ScriptResult
}

function arg(v: ScriptArg): Arg {
  if (typeof v === 'number') return numArg(v)
  return asArg(v)
}

function result(r: Reply, buffers: boolean, resp: 2 | 3): ScriptResult {
  if (r instanceof ReplyError) throw r
  return toJs(r, buffers, resp) as ScriptResult
}

/** EVAL, EVALSHA, SCRIPT, FUNCTION and FCALL as typed methods (they need `new Store({ scripting: lua() })`). */
export class ScriptingApi {
  /**
   * Runs a Lua script (EVAL): `keys` become KEYS, `args` ARGV.
   *
   * ```ts
   * store.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", ['n'], [5]) // 5
   * ```
   */
  eval(this: StoreCore, script: Bytes, keys: ScriptArg[] = [], args: ScriptArg[] = [], options: ScriptOptions = {}): ScriptResult {
    const cmd = options.readOnly ? EVAL_RO : EVAL
    const r = cmd.run(this.s, { target: asArg(script), keys: keys.map(arg), args: args.map(arg), readOnly: options.readOnly === true })
    return result(r as Reply, options.buffers === true, this.s.resp)
  }

  /** Runs a cached script by SHA1 (EVALSHA); throws `NOSCRIPT` when the cache does not have it. */
  evalsha(this: StoreCore, sha: string, keys: ScriptArg[] = [], args: ScriptArg[] = [], options: ScriptOptions = {}): ScriptResult {
    const cmd = options.readOnly ? EVALSHA_RO : EVALSHA
    const r = cmd.run(this.s, { target: sha, keys: keys.map(arg), args: args.map(arg), readOnly: options.readOnly === true })
    return result(r as Reply, options.buffers === true, this.s.resp)
  }

  /** Compiles a script into the cache (SCRIPT LOAD) and returns its SHA1. */
  scriptLoad(this: StoreCore, script: Bytes): string {
    return SCRIPT_LOAD.run(this.s, asArg(script)) as string
  }

  /** SCRIPT EXISTS: whether each SHA1 is in the script cache. */
  scriptExists(this: StoreCore, ...shas: string[]): boolean[] {
    if (shas.length === 0) fail("wrong number of arguments for 'script|exists' command")
    return (SCRIPT_EXISTS.run(this.s, shas) as number[]).map((n) => n === 1)
  }

  /** SCRIPT FLUSH: empties the script cache. */
  scriptFlush(this: StoreCore): void {
    SCRIPT_FLUSH.run(this.s, undefined)
  }

  /**
   * Binds a script to this store: `run()` calls EVALSHA and, when the cache
   * does not have the script (after SCRIPT FLUSH, or the first time), loads it
   * and runs it again.
   *
   * ```ts
   * const incr = store.defineScript("return redis.call('INCR', KEYS[1])")
   * incr.run(['hits']) // 1
   * ```
   */
  defineScript(this: StoreCore, script: string): DefinedScript {
    const store = this as StoreCore & ScriptingApi
    const sha = store.scriptLoad(script)
    return {
      sha,
      body: script,
      run(keys: ScriptArg[] = [], args: ScriptArg[] = [], options: ScriptOptions = {}): ScriptResult {
        try {
          return store.evalsha(sha, keys, args, options)
        } catch (e) {
          if (!(e instanceof ReplyError) || !e.message.startsWith('NOSCRIPT')) throw e
          store.scriptLoad(script)
          return store.evalsha(sha, keys, args, options)
        }
      },
    }
  }

  /** Calls a function of a loaded library (FCALL / FCALL_RO). */
  fcall(this: StoreCore, name: string, keys: ScriptArg[] = [], args: ScriptArg[] = [], options: ScriptOptions = {}): ScriptResult {
    const cmd = options.readOnly ? FCALL_RO : FCALL
    const rest: Arg[] = [String(keys.length), ...keys.map(arg), ...args.map(arg)]
    const r = cmd.run(this.s, { name, rest, readOnly: options.readOnly === true })
    return result(r as Reply, options.buffers === true, this.s.resp)
  }

  /** Loads a library (FUNCTION LOAD): code starting with `#!lua name=<library>`. Returns the library name. */
  functionLoad(this: StoreCore, code: string, options: { replace?: boolean } = {}): string {
    this.beforeWrite()
    return FUNCTION_LOAD.run(this.s, { code, replace: options.replace === true }) as string
  }

  /** Deletes a library (FUNCTION DELETE). */
  functionDelete(this: StoreCore, library: string): void {
    FUNCTION_DELETE.run(this.s, library)
  }

  /** Deletes every library (FUNCTION FLUSH). */
  functionFlush(this: StoreCore): void {
    FUNCTION_FLUSH.run(this.s, undefined)
  }

  /** Lists the loaded libraries (FUNCTION LIST), optionally matching a glob pattern, with their code. */
  functionList(this: StoreCore, options: { libraryName?: string; withCode?: boolean } = {}): LibraryInfo[] {
    const r = FUNCTION_LIST.run(this.s, { libraryName: options.libraryName, withCode: options.withCode === true }) as Reply
    const libs = toJs(r, false, 3) as Array<Map<string, unknown>>
    return libs.map((m) => {
      const info: LibraryInfo = {
        libraryName: m.get('library_name') as string,
        engine: m.get('engine') as string,
        functions: (m.get('functions') as Array<Map<string, unknown>>).map((f) => ({
          name: f.get('name') as string,
          description: (f.get('description') as string | null) ?? null,
          flags: f.get('flags') as string[],
        })),
      }
      if (m.has('library_code')) info.libraryCode = m.get('library_code') as string
      return info
    })
  }
}
