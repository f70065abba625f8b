/**
 * `embedis/lua`: the Lua scripting hook.
 *
 * ```ts
 * import { Store } from 'embedis'
 * import { lua } from 'embedis/lua'
 * const store = new Store({ scripting: lua() })
 * store.eval("return redis.call('INCR', KEYS[1])", ['counter']) // 1
 * ```
 *
 * Scripts run in Redis 7.2's Lua 5.1 environment (cjson, cmsgpack, bit,
 * struct, the `redis` table, read-only globals) on the fengari VM, which is
 * loaded only by this entry point.
 */
import type { ScriptingHook } from '../commands/scripting.js'
import { lua_, type LuaOptions } from './engine.js'

export type { LuaOptions } from './engine.js'
export type { ScriptingHook, ScriptingEngine } from '../commands/scripting.js'
export { LuaEngine } from './engine.js'

/** The scripting hook: `new Store({ scripting: lua() })` enables EVAL, EVALSHA, SCRIPT, FUNCTION and FCALL. */
export function lua(options: LuaOptions = {}): ScriptingHook {
  return lua_(options)
}
