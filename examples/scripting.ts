/**
 * Lua scripting in-process: an atomic rate limiter, a script bound with
 * defineScript(), a function library, and what a script cannot do.
 * Run it with `npx tsx examples/scripting.ts`.
 */
import { ReplyError, Store } from '../src/index.js'
import { lua } from '../src/scripting/index.js'

const store = new Store({ scripting: lua() })

// --- An atomic fixed-window rate limiter -------------------------------------
// INCR and EXPIRE in one step: nothing can run between them.
const limiter = store.defineScript(`
  local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
  if n > tonumber(ARGV[2]) then return redis.error_reply('LIMITED try again in ' .. redis.call('PTTL', KEYS[1]) .. ' ms') end
  return n
`)
for (let i = 1; i <= 4; i++) {
  try {
    console.log(`request ${i}: allowed (#${limiter.run(['rate:alice'], [1000, 3])})`)
  } catch (e) {
    console.log(`request ${i}: ${(e as ReplyError).message}`)
  }
}

// --- JSON and MessagePack inside scripts --------------------------------------
store.set('profile', JSON.stringify({ name: 'Ada', visits: 41 }))
const updated = store.eval(
  `local p = cjson.decode(redis.call('GET', KEYS[1]))
   p.visits = p.visits + 1
   redis.call('SET', KEYS[1], cjson.encode(p))
   return p.visits`,
  ['profile'],
)
console.log('visits after the update:', updated)

// --- A function library (FUNCTION LOAD / FCALL) -------------------------------
store.functionLoad(`#!lua name=counters
redis.register_function('bump', function(keys, args)
  return redis.call('HINCRBY', keys[1], args[1], 1)
end)
redis.register_function{function_name = 'peek', flags = {'no-writes'}, callback = function(keys, args)
  return redis.call('HGET', keys[1], args[1])
end}`)
store.fcall('bump', ['page:hits'], ['/home'])
store.fcall('bump', ['page:hits'], ['/home'])
console.log('/home hits:', store.fcall('peek', ['page:hits'], ['/home'], { readOnly: true }))

// --- The sandbox ----------------------------------------------------------------
for (const script of ['os.exit(1)', 'leaked = true', 'while true do end']) {
  if (script.startsWith('while')) store.call('CONFIG', 'SET', 'busy-reply-threshold', '100')
  try {
    store.eval(script)
  } catch (e) {
    console.log(`${script} -> ${(e as ReplyError).message}`)
  }
}
store.close()
