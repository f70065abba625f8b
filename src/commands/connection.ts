/**
 * The connection group: CLIENT (every subcommand), HELLO, AUTH, RESET, QUIT.
 * (PING, ECHO and SELECT live in server.ts.) Door-level effects — closing a
 * connection, suppressing replies — are requested through the session
 * (`kill`, `closeAfterReply`, `replyMode`) and carried out by the door.
 */
import { aclLogAuthFailure } from './admin.js'
import { E, fail, syntaxError } from '../core/errors.js'
import { string2ll } from '../core/numbers.js'
import { MapReply, OK, SetReply, Status, Verbatim, type Reply } from '../core/reply.js'
import { blockingOf } from '../keyspace/blocking.js'
import { configWords, parseMemory, registerConfig, strtollWhole } from '../keyspace/config.js'
import { stopMonitoring } from '../keyspace/monitor.js'
import { sortedPrefixes, TF, trackingError, trackingFor } from '../keyspace/tracking.js'
import { G, REPLY_OFF, REPLY_ON, REPLY_SKIP, REPLY_SKIP_NEXT, wire, type Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
import { key as keyArg, kw, str } from './args.js'
import { defineCommand, helpReply, type Arg } from './table.js'

registerConfig({ name: 'requirepass', kind: { type: 'string' }, default: '' })
registerConfig({ name: 'maxclients', kind: { type: 'int', min: 1, max: 4294967295 }, default: 10000 })
registerConfig({ name: 'timeout', kind: { type: 'int', min: 0, max: 2147483647 }, default: 0 })

/** Output buffer limits per client class: [hard bytes, soft bytes, soft seconds]. */
export interface OutputLimits {
  normal: [number, number, number]
  slave: [number, number, number]
  pubsub: [number, number, number]
}

const DEFAULT_LIMITS: OutputLimits = {
  normal: [0, 0, 0],
  slave: [268435456, 67108864, 60],
  pubsub: [33554432, 8388608, 60],
}

registerConfig({
  name: 'client-output-buffer-limit',
  kind: {
    type: 'custom',
    parse(text: string, current: unknown): OutputLimits {
      const words = configWords(text)
      if (words.length % 4 !== 0) throw new Error('Wrong number of arguments in buffer limit configuration.')
      // Classes not named keep their current limits.
      const now = (current as OutputLimits | undefined) ?? DEFAULT_LIMITS
      const out: OutputLimits = { normal: [...now.normal], slave: [...now.slave], pubsub: [...now.pubsub] }
      for (let i = 0; i < words.length; i += 4) {
        let cls = words[i]!.toLowerCase()
        if (cls === 'replica') cls = 'slave'
        if (cls !== 'normal' && cls !== 'slave' && cls !== 'pubsub') throw new Error('Invalid client class specified in buffer limit configuration.')
        const hard = parseMemory(words[i + 1]!)
        const soft = parseMemory(words[i + 2]!)
        const secs = strtollWhole(words[i + 3]!)
        if (hard === undefined || soft === undefined || secs === undefined || secs < 0n) {
          throw new Error('Error in hard, soft or soft_seconds setting in buffer limit configuration.')
        }
        out[cls] = [hard, soft, Number(secs)]
      }
      return out
    },
    format(v: unknown): string {
      const l = v as OutputLimits
      return `normal ${l.normal.join(' ')} slave ${l.slave.join(' ')} pubsub ${l.pubsub.join(' ')}`
    },
  },
  default: DEFAULT_LIMITS,
})

/** The client-output-buffer-limit in effect (the defaults if the parameter is unknown to this Store). */
export function outputLimits(store: StoreCore): OutputLimits {
  const c = store.ks.config
  return c.has('client-output-buffer-limit') ? c.get<OutputLimits>('client-output-buffer-limit') : DEFAULT_LIMITS
}

// ---------------------------------------------------------------- CLIENT LIST / INFO

/** Redis's client type names for CLIENT LIST/KILL TYPE. */
function clientType(s: Session): string {
  return s.subscriptionCount + s.shardCount > 0 ? 'pubsub' : 'normal'
}

function parseType(a: Arg): string {
  const t = str(a).toLowerCase()
  if (t === 'normal' || t === 'pubsub') return t
  if (t === 'master' || t === 'replica' || t === 'slave') return 'master'
  return fail(`Unknown client type '${str(a)}'`)
}

function clientFlags(s: Session): string {
  let f = s.gate & G.MONITOR ? 'O' : ''
  if (s.subscriptionCount + s.shardCount > 0) f += 'P'
  if (s.multi !== null || s.execLength >= 0) f += 'x'
  if (s.waiting) f += 'b'
  if (s.tracking & TF.ON) f += 't'
  if (s.tracking & TF.BROKEN_REDIR) f += 'R'
  if (s.tracking & TF.BCAST) f += 'B'
  if (s.casDirty) f += 'd'
  if (s.closeAfterReply) f += 'c'
  if (s.noEvict) f += 'e'
  if (s.noTouch) f += 'T'
  return f === '' ? 'N' : f
}

/** One CLIENT LIST line (Redis 7.2's fields, without the trailing newline). */
export function clientInfoLine(s: Session): string {
  const now = s.ks.clock.now()
  return (
    `id=${s.id} addr=${s.addr} laddr=${s.laddr} fd=${s.fd} name=${s.name ?? ''} ` +
    `age=${Math.max(0, Math.floor((now - s.createdAt) / 1000))} idle=${Math.max(0, Math.floor(now / 1000) - s.lastInteraction)} ` +
    `flags=${clientFlags(s)} db=${s.db.id} sub=${s.channels?.size ?? 0} psub=${s.patterns?.size ?? 0} ssub=${s.shardCount} ` +
    `multi=${s.multi !== null ? s.multi.length : s.execLength} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 ` +
    `obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=${s.lastCommand} user=default redir=${redirectOf(s)} resp=${s.resp} ` +
    `lib-name=${s.libName} lib-ver=${s.libVer}`
  )
}

/** The sessions CLIENT LIST shows: every one but the store's own. */
function clients(ctx: Session): Session[] {
  const out: Session[] = []
  for (const s of ctx.store.sessions) if (s !== ctx.store.s && !s.closed) out.push(s)
  return out
}

type ListFilter = { type?: string; ids?: number[] }

export const CLIENT_LIST = defineCommand('client|list', {
  parse(a): ListFilter {
    if (a.length === 0) return {}
    const opt = kw(a[0]!)
    if (a.length === 2 && opt === 'TYPE') return { type: parseType(a[1]!) }
    if (a.length >= 2 && opt === 'ID') {
      const ids: number[] = []
      for (let i = 1; i < a.length; i++) {
        const n = string2ll(str(a[i]!))
        if (n === undefined) fail('Invalid client ID')
        ids.push(Number(n))
      }
      return { ids }
    }
    return syntaxError()
  },
  run(ctx, f: ListFilter): Reply {
    let text = ''
    for (const s of clients(ctx)) {
      if (f.type !== undefined && clientType(s) !== f.type) continue
      if (f.ids !== undefined && !f.ids.includes(s.id)) continue
      text += clientInfoLine(s) + '\n'
    }
    return new Verbatim(text)
  },
})

export const CLIENT_INFO = defineCommand('client|info', {
  parse: () => undefined,
  run: (ctx): Reply => new Verbatim(clientInfoLine(ctx) + '\n'),
})

// ---------------------------------------------------------------- CLIENT KILL

interface KillFilter {
  /** Old form: `CLIENT KILL addr:port`. */
  legacy?: string
  id?: number
  type?: string
  addr?: string
  laddr?: string
  skipme: boolean
  maxage?: number
}

export const CLIENT_KILL = defineCommand('client|kill', {
  parse(a): KillFilter {
    if (a.length === 1) return { legacy: str(a[0]!), skipme: false }
    if (a.length % 2 !== 0) syntaxError()
    const f: KillFilter = { skipme: true }
    for (let i = 0; i < a.length; i += 2) {
      const opt = kw(a[i]!)
      const v = a[i + 1]!
      if (opt === 'ID') {
        const n = string2ll(str(v))
        if (n === undefined || n <= 0) fail('client-id should be greater than 0')
        f.id = Number(n)
      } else if (opt === 'TYPE') f.type = parseType(v)
      else if (opt === 'ADDR') f.addr = str(v)
      else if (opt === 'LADDR') f.laddr = str(v)
      else if (opt === 'USER') {
        if (str(v) !== 'default') fail(`No such user '${str(v)}'`)
      } else if (opt === 'SKIPME') {
        const y = kw(v)
        if (y === 'YES') f.skipme = true
        else if (y === 'NO') f.skipme = false
        else syntaxError()
      } else if (opt === 'MAXAGE') {
        const n = string2ll(str(v))
        if (n === undefined) fail('maxage is not an integer or out of range')
        f.maxage = Number(n)
      } else syntaxError()
    }
    return f
  },
  run(ctx, f: KillFilter): Reply {
    const now = ctx.ks.clock.now()
    const victims: Session[] = []
    for (const s of clients(ctx)) {
      if (f.legacy !== undefined) {
        if (s.addr === f.legacy) victims.push(s)
        continue
      }
      if (f.skipme && s === ctx) continue
      if (f.id !== undefined && s.id !== f.id) continue
      if (f.type !== undefined && clientType(s) !== f.type) continue
      if (f.addr !== undefined && s.addr !== f.addr) continue
      if (f.laddr !== undefined && s.laddr !== f.laddr) continue
      if (f.maxage !== undefined && (now - s.createdAt) / 1000 < f.maxage) continue
      victims.push(s)
    }
    for (const s of victims) killSession(ctx, s)
    if (f.legacy !== undefined) {
      if (victims.length === 0) fail('No such client')
      return OK
    }
    return victims.length
  },
})

/** Closes a session's connection; the calling session itself closes after its reply. */
export function killSession(ctx: Session, s: Session): void {
  if (s === ctx) {
    s.closeAfterReply = true
    return
  }
  if (s.kill !== null) s.kill()
  else s.close()
}

// ---------------------------------------------------------------- names, ids, info

const badChar = (t: string): boolean => {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i)
    if (c < 33 || c > 126) return true
  }
  return false
}

/** CLIENT SETNAME's validation; '' clears the name. */
export function setName(ctx: Session, a: Arg): void {
  const name = str(a)
  if (badChar(typeof a === 'string' ? a : a.toString('latin1'))) fail('Client names cannot contain spaces, newlines or special characters.')
  ctx.name = name === '' ? null : name
}

export const CLIENT_ID = defineCommand('client|id', { parse: () => undefined, run: (ctx): Reply => ctx.id })

export const CLIENT_GETNAME = defineCommand('client|getname', {
  parse: () => undefined,
  run: (ctx): Reply => ctx.name,
})

export const CLIENT_SETNAME = defineCommand('client|setname', {
  parse: (a) => a[0]!,
  run(ctx, name: Arg): Reply {
    setName(ctx, name)
    return OK
  },
})

export const CLIENT_SETINFO = defineCommand('client|setinfo', {
  parse(a): [string, string] {
    const attr = kw(a[0]!)
    if (attr !== 'LIB-NAME' && attr !== 'LIB-VER') fail(`Unrecognized option '${str(a[0]!)}'`)
    const v = a[1]!
    if (badChar(typeof v === 'string' ? v : v.toString('latin1'))) fail(`${str(a[0]!)} cannot contain spaces, newlines or special characters.`)
    return [attr, str(v)]
  },
  run(ctx, [attr, v]: [string, string]): Reply {
    if (attr === 'LIB-NAME') ctx.libName = v
    else ctx.libVer = v
    return OK
  },
})

const onOff = (a: Arg): boolean => {
  const v = kw(a)
  if (v === 'ON') return true
  if (v === 'OFF') return false
  return syntaxError()
}

export const CLIENT_NO_EVICT = defineCommand('client|no-evict', {
  parse: (a) => onOff(a[0]!),
  run(ctx, on: boolean): Reply {
    ctx.noEvict = on
    return OK
  },
})

export const CLIENT_NO_TOUCH = defineCommand('client|no-touch', {
  parse: (a) => onOff(a[0]!),
  run(ctx, on: boolean): Reply {
    ctx.noTouch = on
    return OK
  },
})

export const CLIENT_REPLY = defineCommand('client|reply', {
  parse(a): string {
    const m = kw(a[0]!)
    if (m !== 'ON' && m !== 'OFF' && m !== 'SKIP') syntaxError()
    return m
  },
  run(ctx, mode: string): Reply {
    // OFF and SKIP are not answered; the door applies replyMode after each command.
    if (mode === 'ON') {
      ctx.replyMode = REPLY_ON
      return OK
    }
    if (mode === 'OFF') ctx.replyMode = REPLY_OFF
    else if (ctx.replyMode !== REPLY_OFF) ctx.replyMode = REPLY_SKIP_NEXT
    return OK
  },
})

// ---------------------------------------------------------------- PAUSE / UNBLOCK

export const CLIENT_PAUSE = defineCommand('client|pause', {
  parse(a): [number, boolean] {
    const n = string2ll(str(a[0]!))
    if (n === undefined) fail('timeout is not an integer or out of range')
    if (n < 0) fail('timeout is negative')
    let all = true
    if (a.length === 2) {
      const m = kw(a[1]!)
      if (m === 'WRITE') all = false
      else if (m !== 'ALL') fail('CLIENT PAUSE mode must be WRITE or ALL')
    } else if (a.length > 2) syntaxError()
    return [Number(n), all]
  },
  run(ctx, [ms, all]: [number, boolean]): Reply {
    ctx.store.pauseClients(ms, all)
    return OK
  },
})

export const CLIENT_UNPAUSE = defineCommand('client|unpause', {
  parse: () => undefined,
  run(ctx): Reply {
    ctx.store.unpauseClients()
    return OK
  },
})

export const CLIENT_UNBLOCK = defineCommand('client|unblock', {
  parse(a): [number, boolean] {
    const n = string2ll(str(a[0]!))
    if (n === undefined) fail(E.NOT_INTEGER)
    let withError = false
    if (a.length === 2) {
      const m = kw(a[1]!)
      if (m === 'ERROR') withError = true
      else if (m !== 'TIMEOUT') fail('CLIENT UNBLOCK reason should be TIMEOUT or ERROR')
    } else if (a.length > 2) syntaxError()
    return [Number(n), withError]
  },
  run(ctx, [id, withError]: [number, boolean]): Reply {
    const b = blockingOf(ctx.store)
    const s = sessionById(ctx, id)
    return b !== undefined && s !== undefined && b.unblockSession(s, withError ? 'error' : 'timeout') ? 1 : 0
  },
})

/** The session with this id (lookupClientByID), or undefined. */
function sessionById(ctx: Session, id: number): Session | undefined {
  for (const s of ctx.store.sessions) if (s.id === id && !s.closed) return s
  return undefined
}

// ---------------------------------------------------------------- tracking (client-side caching)

/** CLIENT GETREDIR / CLIENT LIST's redir: the redirect id (0 for none) while tracking, else -1. */
function redirectOf(s: Session): number {
  if (!(s.tracking & TF.ON)) return -1
  return s.trackRedirect === null ? 0 : s.trackRedirect.id
}

interface TrackingArgs {
  on: boolean
  redirect: Session | null
  flags: number
  prefixes: string[]
}

export const CLIENT_TRACKING = defineCommand('client|tracking', {
  // Options are read first, in order (REDIRECT is checked as it is met); ON/OFF after them.
  parse(a, ctx): TrackingArgs {
    let redirect: Session | null = null
    let flags = 0
    const prefixes: string[] = []
    for (let i = 1; i < a.length; i++) {
      const o = kw(a[i]!)
      const more = i + 1 < a.length
      if (o === 'REDIRECT' && more) {
        if (redirect !== null) fail('A client can only redirect to a single other client')
        const n = string2ll(str(a[++i]!))
        if (n === undefined) fail(E.NOT_INTEGER)
        const to = sessionById(ctx, Number(n))
        if (to === undefined) fail('The client ID you want redirect to does not exist')
        redirect = to
      } else if (o === 'BCAST') flags |= TF.BCAST
      else if (o === 'OPTIN') flags |= TF.OPTIN
      else if (o === 'OPTOUT') flags |= TF.OPTOUT
      else if (o === 'NOLOOP') flags |= TF.NOLOOP
      else if (o === 'PREFIX' && more) prefixes.push(keyArg(a[++i]!))
      else syntaxError()
    }
    return { on: onOff(a[0]!), redirect, flags, prefixes }
  },
  run(ctx, t: TrackingArgs): Reply {
    if (!t.on) {
      if (ctx.tracking !== 0) ctx.ks.tracking?.disable(ctx)
      return OK
    }
    const err = trackingError(ctx, t.flags, t.prefixes)
    if (err !== null) fail(err)
    trackingFor(ctx.ks).enable(ctx, t.redirect, t.flags, t.prefixes)
    return OK
  },
})

export const CLIENT_CACHING = defineCommand('client|caching', {
  parse: (a) => kw(a[0]!),
  run(ctx, v: string): Reply {
    const f = ctx.tracking
    if (!(f & TF.ON)) fail('CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled')
    if (v === 'YES') {
      if (!(f & TF.OPTIN)) fail('CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.')
    } else if (v === 'NO') {
      if (!(f & TF.OPTOUT)) fail('CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.')
    } else syntaxError()
    ctx.tracking |= TF.CACHING
    return OK
  },
})

export const CLIENT_GETREDIR = defineCommand('client|getredir', { parse: () => undefined, run: (ctx): Reply => redirectOf(ctx) })

export const CLIENT_TRACKINGINFO = defineCommand('client|trackinginfo', {
  parse: () => undefined,
  run(ctx): Reply {
    const f = ctx.tracking
    const flags: Reply[] = [f & TF.ON ? 'on' : 'off']
    if (f & TF.BCAST) flags.push('bcast')
    if (f & TF.OPTIN) {
      flags.push('optin')
      if (f & TF.CACHING) flags.push('caching-yes')
    }
    if (f & TF.OPTOUT) {
      flags.push('optout')
      if (f & TF.CACHING) flags.push('caching-no')
    }
    if (f & TF.NOLOOP) flags.push('noloop')
    if (f & TF.BROKEN_REDIR) flags.push('broken_redirect')
    return new MapReply(['flags', new SetReply(flags), 'redirect', redirectOf(ctx), 'prefixes', sortedPrefixes(ctx).map(wire)])
  },
})

export const CLIENT_HELP = defineCommand('client|help', {
  parse: () => undefined,
  run: (): Reply =>
    helpReply('CLIENT', [
      'CACHING (YES|NO)',
      '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
      'GETREDIR',
      '    Return the client ID we are redirecting to when tracking is enabled.',
      'GETNAME',
      '    Return the name of the current connection.',
      'ID',
      '    Return the ID of the current connection.',
      'INFO',
      '    Return information about the current client connection.',
      'KILL <ip:port>',
      '    Kill connection made from <ip:port>.',
      'KILL <option> <value> [<option> <value> [...]]',
      '    Kill connections. Options are:',
      '    * ADDR (<ip:port>|<unixsocket>:0)',
      '      Kill connections made from the specified address',
      '    * LADDR (<ip:port>|<unixsocket>:0)',
      '      Kill connections made to specified local address',
      '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
      '      Kill connections by type.',
      '    * USER <username>',
      '      Kill connections authenticated by <username>.',
      '    * SKIPME (YES|NO)',
      '      Skip killing current connection (default: yes).',
      '    * ID <client-id>',
      '      Kill connections by client id.',
      '    * MAXAGE <maxage>',
      '      Kill connections older than the specified age.',
      'LIST [options ...]',
      '    Return information about client connections. Options:',
      '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
      '      Return clients of specified type.',
      'UNPAUSE',
      '    Stop the current client pause, resuming traffic.',
      'PAUSE <timeout> [WRITE|ALL]',
      '    Suspend all, or just write, clients for <timeout> milliseconds.',
      'REPLY (ON|OFF|SKIP)',
      '    Control the replies sent to the current connection.',
      'SETNAME <name>',
      '    Assign the name <name> to the current connection.',
      'SETINFO <option> <value>',
      '    Set client meta attr. Options are:',
      '    * LIB-NAME: the client lib name.',
      '    * LIB-VER: the client lib version.',
      'UNBLOCK <clientid> [TIMEOUT|ERROR]',
      '    Unblock the specified blocked client.',
      'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
      '         [OPTIN] [OPTOUT] [NOLOOP]',
      '    Control server assisted client side caching.',
      'TRACKINGINFO',
      '    Report tracking status for the current connection.',
      'NO-EVICT (ON|OFF)',
      '    Protect current client connection from eviction.',
      'NO-TOUCH (ON|OFF)',
      '    Will not touch LRU/LFU stats when this mode is on.',
    ]),
})

// ---------------------------------------------------------------- AUTH / HELLO / RESET / QUIT

const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.'

/** ACLAuthenticateUser for the one user there is (`default`, password = requirepass). */
function authenticate(ctx: Session, user: Arg, pass: Arg): boolean {
  const required = ctx.store.requirePass()
  if (str(user) !== 'default' || (required !== '' && str(pass) !== required)) {
    aclLogAuthFailure(ctx, str(user))
    return false
  }
  ctx.authenticated = true
  ctx.gate &= ~G.NOAUTH
  return true
}

export const AUTH = defineCommand('auth', {
  parse(a): [Arg | null, Arg] {
    if (a.length > 2) syntaxError()
    return a.length === 1 ? [null, a[0]!] : [a[0]!, a[1]!]
  },
  run(ctx, [user, pass]: [Arg | null, Arg]): Reply {
    if (user === null && ctx.store.requirePass() === '') {
      fail('AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?')
    }
    if (!authenticate(ctx, user ?? 'default', pass)) fail(WRONGPASS)
    return OK
  },
})

interface HelloArgs {
  ver: number
  auth?: [Arg, Arg]
  name?: Arg
}

export const HELLO = defineCommand('hello', {
  parse(a): HelloArgs {
    let ver = 0
    let i = 0
    if (a.length >= 1) {
      const n = string2ll(str(a[0]!))
      if (n === undefined) fail('Protocol version is not an integer or out of range')
      if (n < 2 || n > 3) fail('-NOPROTO unsupported protocol version')
      ver = Number(n)
      i = 1
    }
    const out: HelloArgs = { ver }
    for (; i < a.length; i++) {
      const more = a.length - 1 - i
      const opt = kw(a[i]!)
      if (opt === 'AUTH' && more >= 2) {
        out.auth = [a[i + 1]!, a[i + 2]!]
        i += 2
      } else if (opt === 'SETNAME' && more >= 1) {
        out.name = a[i + 1]!
        i++
      } else fail(`Syntax error in HELLO option '${str(a[i]!)}'`)
    }
    return out
  },
  run(ctx, h: HelloArgs): Reply {
    if (h.auth !== undefined && !authenticate(ctx, h.auth[0], h.auth[1])) fail(WRONGPASS)
    if (!ctx.authenticated && ctx.store.requirePass() !== '') {
      fail(
        '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
      )
    }
    if (h.name !== undefined) setName(ctx, h.name)
    if (h.ver !== 0) ctx.resp = h.ver as 2 | 3
    return new MapReply([
      'server',
      'redis',
      'version',
      ctx.store.redisVersion,
      'proto',
      ctx.resp,
      'id',
      ctx.id,
      'mode',
      'standalone',
      'role',
      'master',
      'modules',
      [],
    ])
  },
})

/** Redis's clearClientConnectionState (RESET). */
export function resetSession(ctx: Session): void {
  stopMonitoring(ctx)
  ctx.discardMulti()
  ctx.store.unsubscribeAll(ctx)
  ctx.select(0)
  ctx.resp = 2
  ctx.name = null
  // RESET clears OFF and a pending SKIP, but a SKIP already applying to this command holds: RESET goes unanswered.
  if (ctx.replyMode !== REPLY_SKIP) ctx.replyMode = REPLY_ON
  ctx.noEvict = false
  ctx.noTouch = false
  if (ctx.tracking !== 0) ctx.ks.tracking?.disable(ctx)
  // Back to the default user: unauthenticated again while a password is required (not the store's own session).
  if (ctx !== ctx.store.s && ctx.store.requirePass() !== '') {
    ctx.authenticated = false
    ctx.gate |= G.NOAUTH
  }
}

export const RESET = defineCommand('reset', {
  parse: () => undefined,
  run(ctx): Reply {
    resetSession(ctx)
    return new Status('RESET')
  },
})

export const QUIT = defineCommand('quit', {
  parse: () => undefined,
  run(ctx): Reply {
    ctx.closeAfterReply = true
    return OK
  },
})
