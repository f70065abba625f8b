/**
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH. Queueing happens in the dispatcher
 * (StoreCore.dispatch): inside MULTI every command but these is resolved and
 * queued, and queue-time refusals (unknown command, arity, NOAUTH, OOM, ...)
 * flag the transaction so EXEC answers EXECABORT.
 */
import { fail, ReplyError } from '../core/errors.js'
import { NULL_ARRAY, OK, type Reply } from '../core/reply.js'
import { key } from './args.js'
import { defineCommand } from './table.js'

const EXECABORT = 'EXECABORT Transaction discarded because of previous errors.'

export const MULTI = defineCommand('multi', {
  parse: () => undefined,
  run(ctx): Reply {
    if (ctx.multi !== null) fail('MULTI calls can not be nested')
    ctx.beginMulti()
    return OK
  },
})

export const EXEC = defineCommand('exec', {
  parse: () => undefined,
  run(ctx): Reply {
    const queue = ctx.multi
    if (queue === null) fail('EXEC without MULTI')
    // Redis 7: a key watched while alive that has expired since fails the transaction.
    if (ctx.watchedKeyExpired()) ctx.casDirty = true
    if (ctx.execAbort) {
      ctx.discardMulti()
      return new ReplyError(EXECABORT)
    }
    if (ctx.casDirty) {
      ctx.discardMulti()
      return NULL_ARRAY
    }
    // Unwatch before running: the transaction's own writes must not matter.
    ctx.discardMulti()
    // Still "in MULTI" for CLIENT LIST/INFO while the queue runs, as in Redis.
    ctx.execLength = queue.length
    try {
      return ctx.store.execQueue(ctx, queue)
    } finally {
      ctx.execLength = -1
    }
  },
})

export const DISCARD = defineCommand('discard', {
  parse: () => undefined,
  run(ctx): Reply {
    if (ctx.multi === null) fail('DISCARD without MULTI')
    ctx.discardMulti()
    return OK
  },
})

export const WATCH = defineCommand('watch', {
  parse: (a) => a.map(key),
  run(ctx, keys: string[]): Reply {
    if (ctx.multi !== null) fail('WATCH inside MULTI is not allowed')
    // Already dirty: nothing to watch, EXEC fails anyway.
    if (ctx.casDirty) return OK
    for (const k of keys) ctx.watch(k)
    return OK
  },
})

export const UNWATCH = defineCommand('unwatch', {
  parse: () => undefined,
  run(ctx): Reply {
    ctx.unwatchAll()
    ctx.casDirty = false
    return OK
  },
})
