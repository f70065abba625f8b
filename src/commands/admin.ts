/**
 * Server administration for an in-process Redis: ACL (one user, `default`),
 * COMMAND GETKEYSANDFLAGS, DEBUG (refused, as Redis 7.2 refuses it with its
 * default `enable-debug-command no`), LATENCY, SLOWLOG, LOLWUT, ROLE, WAIT,
 * WAITAOF, the replication commands (REPLICAOF/SLAVEOF, FAILOVER, PSYNC/SYNC,
 * REPLCONF), MODULE, MIGRATE, RESTORE-ASKING, MONITOR and SHUTDOWN.
 *
 * The store is always a master without replicas, modules, ACL file or
 * latency events, and every reply says so in Redis's own words. The slow log
 * is real: the dispatcher reports each command's duration to `recordSlow`.
 */
import { Buffer } from 'node:buffer'
import { E, fail, ReplyError, syntaxError } from '../core/errors.js'
import { string2ll } from '../core/numbers.js'
import { Double, MapReply, OK, Replies, type Reply, SetReply, Status, Verbatim } from '../core/reply.js'
import { registerConfig } from '../keyspace/config.js'
import { blockOn } from '../keyspace/blocking.js'
import { hostOf } from '../persistence/adapter.js'
import { startMonitoring } from '../keyspace/monitor.js'
import { G, type Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
import { int, int64, key, kw, str } from './args.js'
import { clientInfoLine } from './connection.js'
import { defineCommand, helpReply, lower, TABLE, type Arg, type Command } from './table.js'

const LLONG_MAX = 9223372036854775807n

registerConfig({ name: 'slowlog-log-slower-than', kind: { type: 'int', min: -1, max: LLONG_MAX }, default: 10000 })
registerConfig({ name: 'slowlog-max-len', kind: { type: 'int', min: 0, max: LLONG_MAX }, default: 128 })
registerConfig({ name: 'latency-monitor-threshold', kind: { type: 'int', min: 0, max: LLONG_MAX }, default: 0 })
registerConfig({ name: 'acllog-max-len', kind: { type: 'int', min: 0, max: LLONG_MAX }, default: 128 })
registerConfig({ name: 'aclfile', kind: { type: 'string' }, default: '', immutable: true })
registerConfig({ name: 'enable-debug-command', kind: { type: 'enum', values: ['no', 'yes', 'local'] }, default: 'no', immutable: true })
registerConfig({ name: 'enable-module-command', kind: { type: 'enum', values: ['no', 'yes', 'local'] }, default: 'no', immutable: true })

// ---------------------------------------------------------------- per-store state

interface SlowEntry {
  id: number
  time: number
  duration: number
  argv: Arg[]
  peer: string
  name: string
}

interface AclLogEntry {
  count: number
  reason: string
  context: string
  object: string
  username: string
  cinfo: string
  id: number
  created: number
  /** Last update (ms): the age is counted from here. */
  ctime: number
}

interface AdminState {
  /** Slow log, oldest first from `slowStart`. */
  slow: SlowEntry[]
  slowStart: number
  slowNextId: number
  /** ACL log, newest first. */
  aclLog: AclLogEntry[]
  aclLogNextId: number
  /** The default user's command rules after `+@all` (`+get`, `+@string`), as ACL LIST shows them. */
  rules: string[]
  skipSanitize: boolean
}

const STATES = new WeakMap<StoreCore, AdminState>()

function stateOf(store: StoreCore): AdminState {
  let st = STATES.get(store)
  if (st === undefined) {
    st = { slow: [], slowStart: 0, slowNextId: 0, aclLog: [], aclLogNextId: 0, rules: [], skipSanitize: false }
    STATES.set(store, st)
  }
  return st
}

/** Whether a protected command (DEBUG, MODULE LOAD...) may run for this session under `enable-*-command`. */
function protectedAllowed(ctx: Session, configName: string): boolean {
  const v = ctx.ks.config.get<string>(configName)
  if (v === 'yes') return true
  if (v !== 'local') return false
  // In-process sessions are local; a connection is when it comes over loopback.
  const a = ctx.addr
  return a === '' || a.startsWith('127.') || a.startsWith('[::1]') || a.startsWith('::1') || a.startsWith('/')
}

function protectedError(what: 'DEBUG' | 'MODULE'): never {
  const option = what === 'DEBUG' ? 'enable-debug-command' : 'enable-module-command'
  return fail(
    `${what} command not allowed. If the ${option} option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`,
  )
}

/** Redis's addReplySubcommandSyntaxError: the subcommand as typed, the container upper-cased. */
function subcommandSyntaxError(ctx: Session): never {
  const argv = ctx.argv
  const container = argv ? str(argv[0]!).toUpperCase() : ''
  const sub = argv && argv.length > 1 ? str(argv[1]!) : ''
  return fail(`unknown subcommand or wrong number of arguments for '${sub.slice(0, 128)}'. Try ${container} HELP.`)
}

// ---------------------------------------------------------------- SHA-256 (password hashes)

const K256 = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])

/** SHA-256 of some bytes as 64 lower-case hex digits (ACL password hashes). */
export function sha256Hex(data: Uint8Array): string {
  const len = data.length
  const padded = new Uint8Array(((len + 9 + 63) >> 6) << 6)
  padded.set(data)
  padded[len] = 0x80
  const view = new DataView(padded.buffer)
  view.setUint32(padded.length - 8, Math.floor(len / 0x20000000))
  view.setUint32(padded.length - 4, (len << 3) >>> 0)
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])
  const w = new Uint32Array(64)
  const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n))
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4)
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!
      const b = w[i - 2]!
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10)
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) >>> 0
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[i]! + w[i]!) >>> 0
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0
      hh = g
      g = f
      f = e
      e = (d + t1) >>> 0
      d = c
      c = b
      b = a
      a = (t1 + t2) >>> 0
    }
    h[0] = (h[0]! + a) >>> 0
    h[1] = (h[1]! + b) >>> 0
    h[2] = (h[2]! + c) >>> 0
    h[3] = (h[3]! + d) >>> 0
    h[4] = (h[4]! + e) >>> 0
    h[5] = (h[5]! + f) >>> 0
    h[6] = (h[6]! + g) >>> 0
    h[7] = (h[7]! + hh) >>> 0
  }
  let out = ''
  for (let i = 0; i < 8; i++) out += h[i]!.toString(16).padStart(8, '0')
  return out
}

const bytesOf = (a: Arg): Buffer => (typeof a === 'string' ? Buffer.from(a, 'utf8') : a)

// ---------------------------------------------------------------- ACL: the default user

/** ACL categories in Redis's order (ACL CAT). */
export const ACL_CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream',
  'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
]

/** The default user as ACL SETUSER works on it (Redis applies every rule to a copy, then keeps it). */
interface AclUser {
  on: boolean
  nopass: boolean
  /** Password hashes, in the order they were added. */
  passwords: string[]
  /** Known plaintexts of password hashes (a `#hash` has none). */
  plain: Map<string, string>
  skipSanitize: boolean
  allKeys: boolean
  keyPatterns: number
  allChannels: boolean
  channelPatterns: number
  allCommands: boolean
  rules: string[]
  selectors: number
}

/** The default user as it stands: its password is `requirepass`. */
function currentUser(ctx: Session): AclUser {
  const st = stateOf(ctx.store)
  const pass = ctx.store.requirePass()
  const u: AclUser = {
    on: true,
    nopass: pass === '',
    passwords: [],
    plain: new Map(),
    skipSanitize: st.skipSanitize,
    allKeys: true,
    keyPatterns: 0,
    allChannels: true,
    channelPatterns: 0,
    allCommands: true,
    rules: st.rules.slice(),
    selectors: 0,
  }
  if (pass !== '') {
    const h = sha256Hex(Buffer.from(pass, 'utf8'))
    u.passwords.push(h)
    u.plain.set(h, pass)
  }
  return u
}

function userFlags(u: AclUser): string[] {
  const f = [u.on ? 'on' : 'off']
  if (u.nopass) f.push('nopass')
  f.push(u.skipSanitize ? 'skip-sanitize-payload' : 'sanitize-payload')
  return f
}

function commandRulesText(u: AclUser): string {
  return u.rules.length === 0 ? '+@all' : '+@all ' + u.rules.join(' ')
}

/** ACL LIST's line for the user. */
function describeUser(u: AclUser): string {
  let s = 'user default ' + userFlags(u).join(' ')
  for (const p of u.passwords) s += ' #' + p
  return s + ' ~* &* ' + commandRulesText(u)
}

/** Redis's ACLSetUserStringError texts, by errno name. */
const SETUSER_ERRORS = {
  ENOENT: 'Unknown command or category name in ACL',
  EINVAL: 'Syntax error',
  EEXIST:
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  EISDIR:
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  ENODEV: 'The password you are trying to remove from the user does not exist',
  EBADMSG: 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  ECHILD: 'Allowing first-arg of a subcommand is not supported',
} as const

class RuleError extends Error {
  constructor(readonly code: keyof typeof SETUSER_ERRORS) {
    super(code)
  }
}

const isHash = (s: string): boolean => /^[0-9a-f]{64}$/.test(s)

function lookupAclCommand(name: string): Command | undefined {
  const bar = name.indexOf('|')
  if (bar < 0) return TABLE.get(name)
  const parent = TABLE.get(name.slice(0, bar))
  const rest = name.slice(bar + 1)
  if (parent === undefined || parent.subcommands === undefined || rest.includes('|')) return undefined
  return parent.subcommands.get(rest)
}

/** ACLUpdateCommandRules: drops earlier rules for the same name (and a container's subcommand rules), appends the new one. */
function updateRules(u: AclUser, name: string, allow: boolean, container: boolean): void {
  u.rules = u.rules.filter((r) => {
    const n = r.slice(1)
    return n !== name && !(container && n.startsWith(name + '|'))
  })
  u.rules.push((allow ? '+' : '-') + name)
}

function addPassword(u: AclUser, hash: string, plain: string | null): void {
  if (!u.passwords.includes(hash)) u.passwords.push(hash)
  if (plain !== null) u.plain.set(hash, plain)
  u.nopass = false
}

/** Applies one ACL SETUSER rule, as Redis's ACLSetUser / ACLSetSelector do. */
function applyRule(u: AclUser, op: Arg): void {
  const text = str(op)
  if (text.length === 0) return
  const l = text.toLowerCase()
  const c0 = text[0]!
  if (l === 'on') u.on = true
  else if (l === 'off') u.on = false
  else if (l === 'skip-sanitize-payload') u.skipSanitize = true
  else if (l === 'sanitize-payload') u.skipSanitize = false
  else if (l === 'nopass') {
    u.nopass = true
    u.passwords = []
  } else if (l === 'resetpass') {
    u.nopass = false
    u.passwords = []
  } else if (c0 === '>') {
    const pw = bytesOf(op).subarray(1)
    addPassword(u, sha256Hex(pw), pw.toString('utf8'))
  } else if (c0 === '#') {
    const h = text.slice(1)
    if (!isHash(h)) throw new RuleError('EBADMSG')
    addPassword(u, h, null)
  } else if (c0 === '<' || c0 === '!') {
    let h: string
    if (c0 === '<') h = sha256Hex(bytesOf(op).subarray(1))
    else {
      h = text.slice(1)
      if (!isHash(h)) throw new RuleError('EBADMSG')
    }
    const i = u.passwords.indexOf(h)
    if (i < 0) throw new RuleError('ENODEV')
    u.passwords.splice(i, 1)
  } else if (c0 === '(' && text.endsWith(')')) u.selectors++
  else if (l === 'clearselectors') u.selectors = 0
  else if (l === 'reset') {
    u.nopass = false
    u.passwords = []
    u.allKeys = false
    u.keyPatterns = 0
    u.allChannels = false
    u.channelPatterns = 0
    u.on = false
    u.skipSanitize = false
    u.selectors = 0
    u.allCommands = false
    u.rules = []
  } else applySelectorRule(u, text, l)
}

function applySelectorRule(u: AclUser, text: string, l: string): void {
  if (l === 'allkeys' || text === '~*') {
    u.allKeys = true
    u.keyPatterns = 0
  } else if (l === 'resetkeys') {
    u.allKeys = false
    u.keyPatterns = 0
  } else if (l === 'allchannels' || text === '&*') {
    u.allChannels = true
    u.channelPatterns = 0
  } else if (l === 'resetchannels') {
    u.allChannels = false
    u.channelPatterns = 0
  } else if (l === 'allcommands' || l === '+@all') {
    u.allCommands = true
    u.rules = []
  } else if (l === 'nocommands' || l === '-@all') {
    u.allCommands = false
    u.rules = []
  } else if (text[0] === '~' || text[0] === '%') {
    if (u.allKeys) throw new RuleError('EEXIST')
    let read = text[0] === '~'
    let write = read
    let i = 1
    if (text[0] === '%') {
      for (; i < text.length; i++) {
        const ch = text[i]!.toUpperCase()
        if (ch === 'R' && !read) read = true
        else if (ch === 'W' && !write) write = true
        else if (text[i] === '~') {
          i++
          break
        } else throw new RuleError('EINVAL')
      }
    }
    // Even `%RW~*` is a pattern: only `~*` and `allkeys` set the all-keys flag.
    u.keyPatterns++
  } else if (text[0] === '&') {
    if (u.allChannels) throw new RuleError('EISDIR')
    u.channelPatterns++
  } else if ((text[0] === '+' || text[0] === '-') && text[1] === '@') {
    const cat = l.slice(2)
    if (!ACL_CATEGORIES.includes(cat)) throw new RuleError('ENOENT')
    updateRules(u, '@' + cat, text[0] === '+', false)
  } else if (text[0] === '+') {
    const name = l.slice(1)
    const bar = name.lastIndexOf('|')
    if (bar < 0) {
      const cmd = TABLE.get(name)
      if (cmd === undefined) throw new RuleError('ENOENT')
      updateRules(u, cmd.name, true, cmd.subcommands !== undefined)
      return
    }
    const cmd = lookupAclCommand(name.slice(0, bar))
    if (cmd === undefined) throw new RuleError('ENOENT')
    if (cmd.parent !== undefined) throw new RuleError('ECHILD')
    if (bar === name.length - 1) throw new RuleError('EINVAL')
    // A real subcommand, or the first argument of a command without subcommands (`+select|0`).
    if (cmd.subcommands !== undefined && cmd.subcommands.get(name.slice(bar + 1)) === undefined) throw new RuleError('ENOENT')
    updateRules(u, name, true, false)
  } else if (text[0] === '-') {
    const cmd = lookupAclCommand(l.slice(1))
    if (cmd === undefined) throw new RuleError('ENOENT')
    updateRules(u, cmd.name, false, cmd.subcommands !== undefined)
  } else throw new RuleError('EINVAL')
}

/** ACLMergeSelectorArguments: `(` ... `)` spread over several arguments become one rule. */
function mergeSelectors(rules: Arg[]): Arg[] {
  const out: Arg[] = []
  let open: string[] | null = null
  for (const r of rules) {
    const t = str(r)
    if (open !== null) {
      open.push(t)
      if (t.endsWith(')')) {
        out.push(open.join(' '))
        open = null
      }
    } else if (t.startsWith('(') && !t.endsWith(')')) open = [t]
    else out.push(r)
  }
  if (open !== null) fail(`Unmatched parenthesis in acl selector starting at '${open[0]}'.`)
  return out
}

/**
 * Why a user state cannot be kept: embedis has one user with every
 * permission, whose password is `requirepass` (one password, or none).
 */
function unsupportedState(u: AclUser): string | null {
  if (!u.on) return "the 'default' user cannot be disabled"
  if (!u.allKeys || u.keyPatterns > 0 || !u.allChannels || u.channelPatterns > 0 || !u.allCommands || u.selectors > 0) {
    return "the 'default' user keeps every permission (~* &* +@all, no selectors)"
  }
  for (const r of u.rules) if (r[0] === '-') return "the 'default' user keeps every permission (~* &* +@all, no selectors)"
  if (!u.nopass && u.passwords.length === 0) return "the 'default' user needs a password or nopass"
  if (u.passwords.length > 1) return "the 'default' user has at most one password (requirepass)"
  if (u.passwords.length === 1) {
    const plain = u.plain.get(u.passwords[0]!)
    if (plain === undefined) return "the 'default' user's password must be given as >password (a hash alone cannot be checked)"
    if (plain === '') return "the 'default' user cannot have an empty password (requirepass '' means none)"
  }
  return null
}

defineCommand('acl|setuser', {
  parse: (a): { user: Arg; rules: Arg[] } => ({ user: a[0]!, rules: a.slice(1) }),
  run(ctx, a: { user: Arg; rules: Arg[] }): Reply {
    const name = str(a.user)
    if (/[\s\0]/.test(name)) fail("Usernames can't contain spaces or null characters")
    if (name !== 'default') {
      fail(`ACL SETUSER cannot create or modify '${name}': embedis has a single user, 'default'`)
    }
    const rules = mergeSelectors(a.rules)
    const u = currentUser(ctx)
    for (const r of rules) {
      try {
        applyRule(u, r)
      } catch (e) {
        if (e instanceof RuleError) fail(`Error in ACL SETUSER modifier '${str(r)}': ${SETUSER_ERRORS[e.code]}`)
        throw e
      }
    }
    const why = unsupportedState(u)
    if (why !== null) fail(`ACL SETUSER rules not supported: ${why}`)
    const st = stateOf(ctx.store)
    st.rules = u.rules
    st.skipSanitize = u.skipSanitize
    const pass = u.passwords.length === 0 ? '' : u.plain.get(u.passwords[0]!)!
    if (pass !== ctx.store.requirePass()) ctx.ks.config.put('requirepass', pass)
    return OK
  },
})

defineCommand('acl|getuser', {
  parse: (a) => a[0]!,
  run(ctx, user: Arg): Reply {
    if (str(user) !== 'default') return null
    const u = currentUser(ctx)
    return new MapReply([
      'flags',
      new SetReply(userFlags(u)),
      'passwords',
      u.passwords.slice(),
      'commands',
      commandRulesText(u),
      'keys',
      '~*',
      'channels',
      '&*',
      'selectors',
      [],
    ])
  },
})

defineCommand('acl|list', { parse: () => undefined, run: (ctx): Reply => [describeUser(currentUser(ctx))] })
defineCommand('acl|users', { parse: () => undefined, run: (): Reply => ['default'] })
defineCommand('acl|whoami', { parse: () => undefined, run: (): Reply => 'default' })

defineCommand('acl|deluser', {
  parse: (a) => a,
  run(_ctx, users: Arg[]): Reply {
    for (const u of users) if (str(u) === 'default') fail("The 'default' user cannot be removed")
    return 0
  },
})

defineCommand('acl|cat', {
  parse(a, ctx): string | null {
    if (a.length > 1) subcommandSyntaxError(ctx)
    if (a.length === 0) return null
    const cat = str(a[0]!).toLowerCase()
    if (!ACL_CATEGORIES.includes(cat)) fail(`Unknown category '${str(a[0]!).slice(0, 128)}'`)
    return '@' + cat
  },
  run(_ctx, cat: string | null): Reply {
    if (cat === null) return ACL_CATEGORIES.slice()
    const out: string[] = []
    for (const c of TABLE.values()) {
      if (c.meta.acl.includes(cat)) out.push(c.name)
      if (c.subcommands) for (const s of c.subcommands.values()) if (s.meta.acl.includes(cat)) out.push(s.name)
    }
    return out
  },
})

defineCommand('acl|genpass', {
  parse(a, ctx): number {
    if (a.length > 1) subcommandSyntaxError(ctx)
    const bits = a.length === 1 ? int(a[0]!) : 256
    if (bits <= 0 || bits > 4096) {
      fail('ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096')
    }
    return bits
  },
  run(_ctx, bits: number): Reply {
    const chars = Math.floor((bits + 3) / 4)
    const bytes = new Uint8Array(Math.ceil(chars / 2))
    globalThis.crypto.getRandomValues(bytes)
    let hex = ''
    for (const b of bytes) hex += b.toString(16).padStart(2, '0')
    return hex.slice(0, chars)
  },
})

defineCommand('acl|log', {
  parse(a, ctx): number | 'reset' {
    if (a.length > 1) subcommandSyntaxError(ctx)
    if (a.length === 0) return 10
    if (kw(a[0]!) === 'RESET') return 'reset'
    return int(a[0]!)
  },
  run(ctx, count: number | 'reset'): Reply {
    const st = stateOf(ctx.store)
    if (count === 'reset') {
      st.aclLog = []
      return OK
    }
    const now = ctx.ks.clock.now()
    const out: Reply[] = []
    // A negative count lists everything, as Redis's `while (count--)` does.
    for (const e of st.aclLog) {
      if (count === 0) break
      count--
      out.push(
        new MapReply([
          'count', e.count,
          'reason', e.reason,
          'context', e.context,
          'object', e.object,
          'username', e.username,
          'age-seconds', new Double((now - e.ctime) / 1000),
          'client-info', e.cinfo,
          'entry-id', e.id,
          'timestamp-created', e.created,
          'timestamp-last-updated', e.ctime,
        ]),
      )
    }
    return out
  },
})

/**
 * Records a failed AUTH / HELLO AUTH in the ACL log, as Redis does
 * (addACLLogEntry with reason `auth`): similar entries within 60 s are
 * counted together. Call it from the authentication code when a password is
 * refused.
 */
export function aclLogAuthFailure(s: Session, username: Arg): void {
  const st = stateOf(s.store)
  const now = s.ks.clock.now()
  const object = s.argv !== null && s.argv.length > 0 ? str(s.argv[0]!) : 'auth'
  const context = s.execLength >= 0 ? 'multi' : 'toplevel'
  const user = str(username)
  const cinfo = clientInfoLine(s)
  const log = st.aclLog
  for (let i = 0; i < log.length && i < 10; i++) {
    const e = log[i]!
    if (e.reason === 'auth' && e.context === context && e.object === object && e.username === user && Math.abs(now - e.ctime) <= 60000) {
      e.count++
      e.ctime = now
      e.cinfo = cinfo
      log.splice(i, 1)
      log.unshift(e)
      return
    }
  }
  log.unshift({ count: 1, reason: 'auth', context, object, username: user, cinfo, id: st.aclLogNextId++, created: now, ctime: now })
  const max = s.ks.config.get<number>('acllog-max-len')
  if (log.length > max) log.length = max
}

defineCommand('acl|dryrun', {
  parse: (a) => a,
  run(_ctx, a: Arg[]): Reply {
    if (str(a[0]!) !== 'default') fail(`User '${str(a[0]!)}' not found`)
    const argv = a.slice(1)
    let cmd = TABLE.get(lower(argv[0]!))
    if (cmd !== undefined && argv.length > 1 && cmd.subcommands !== undefined) cmd = cmd.subcommands.get(lower(argv[1]!))
    if (cmd === undefined) fail(`Command '${str(argv[0]!)}' not found`)
    if ((cmd.arity > 0 && cmd.arity !== argv.length) || argv.length < -cmd.arity) {
      fail(`wrong number of arguments for '${cmd.name}' command`)
    }
    // The default user may run every command on every key and channel.
    return OK
  },
})

const NO_ACL_FILE =
  'This instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a configuration file set) in order to store users in the configuration.'

defineCommand('acl|load', { parse: () => undefined, run: () => fail(NO_ACL_FILE) })
defineCommand('acl|save', { parse: () => undefined, run: () => fail(NO_ACL_FILE) })

defineCommand('acl|help', {
  parse: () => undefined,
  run: () =>
    helpReply('ACL', [
      'CAT [<category>]',
      '    List all commands that belong to <category>, or all command categories',
      '    when no category is specified.',
      'DELUSER <username> [<username> ...]',
      '    Delete a list of users.',
      'DRYRUN <username> <command> [<arg> ...]',
      '    Returns whether the user can execute the given command without executing the command.',
      'GETUSER <username>',
      "    Get the user's details.",
      'GENPASS [<bits>]',
      '    Generate a secure 256-bit user password. The optional `bits` argument can',
      '    be used to specify a different size.',
      'LIST',
      '    Show users details in config file format.',
      'LOAD',
      '    Reload users from the ACL file.',
      'LOG [<count> | RESET]',
      '    Show the ACL log entries.',
      'SAVE',
      '    Save the current config to the ACL file.',
      'SETUSER <username> <attribute> [<attribute> ...]',
      '    Create or modify a user with the specified attributes.',
      'USERS',
      '    List all the registered usernames.',
      'WHOAMI',
      '    Return the current connection username.',
    ]),
})

// ---------------------------------------------------------------- COMMAND GETKEYSANDFLAGS

/** Key-spec flags in the order Redis prints them (addReplyFlagsForKeyArgs), with the names it prints. */
export const KEY_FLAG_ORDER: Array<[string, string]> = [
  ['RO', 'RO'],
  ['RW', 'RW'],
  ['OW', 'OW'],
  ['RM', 'RM'],
  ['ACCESS', 'access'],
  ['UPDATE', 'update'],
  ['INSERT', 'insert'],
  ['DELETE', 'delete'],
  ['NOT_KEY', 'not_key'],
  ['INCOMPLETE', 'incomplete'],
  ['VARIABLE_FLAGS', 'variable_flags'],
]

interface KeySpec {
  flags: string[]
  begin_search: { type: string; pos?: number; keyword?: string; startfrom?: number }
  find_keys: { type: string; lastkey?: number; step?: number; limit?: number; keynumidx?: number; firstkey?: number }
}

interface KeyRef {
  pos: number
  flags: readonly string[]
}

const eqi = (a: Arg, b: string): boolean => str(a).toLowerCase() === b

/** getKeysUsingKeySpecs: key positions and flags from the key specs, or null when a spec cannot be used. */
function keysFromSpecs(specs: KeySpec[], argv: Arg[], arity: number): KeyRef[] | null {
  const argc = argv.length
  const out: KeyRef[] = []
  for (const spec of specs) {
    if (spec.flags.includes('NOT_KEY')) continue
    let first = 0
    const bs = spec.begin_search
    if (bs.type === 'index') first = bs.pos!
    else if (bs.type === 'keyword') {
      const from = bs.startfrom!
      const start = from > 0 ? from : argc + from
      const end = from > 0 ? argc - 1 : 0
      const keyword = bs.keyword!.toLowerCase()
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 0) break
        if (eqi(argv[i]!, keyword)) {
          first = i + 1
          break
        }
      }
      if (first === 0) continue
    } else return null
    const fk = spec.find_keys
    let last: number
    let step: number
    if (fk.type === 'range') {
      step = fk.step!
      if (fk.lastkey! >= 0) last = first + fk.lastkey!
      else if (!fk.limit) last = argc + fk.lastkey!
      else last = first + (Math.floor((argc - first) / fk.limit) + fk.lastkey!)
    } else if (fk.type === 'keynum') {
      step = fk.step!
      const at = first + fk.keynumidx!
      if (at >= argc) return null
      const n = string2ll(str(argv[at]!))
      if (n === undefined || n < 0 || typeof n === 'bigint') return null
      first += fk.firstkey!
      last = first + n - 1
    } else return null
    if (last >= argc || last < first || first >= argc) return null
    for (let i = first; i <= last; i += step) {
      if (i >= argc || i < first) {
        if (arity < 0) continue
        return null
      }
      out.push({ pos: i, flags: spec.flags })
    }
    if (spec.flags.includes('INCOMPLETE')) return null
  }
  return out
}

const RO_ACCESS = ['RO', 'ACCESS']
const OW_UPDATE = ['OW', 'UPDATE']
const RW_ACCESS_UPDATE = ['RW', 'ACCESS', 'UPDATE']
const RW_ACCESS_DELETE = ['RW', 'ACCESS', 'DELETE']

/** migrateGetKeys: the key argument, or the keys after KEYS (the key argument must then be empty). */
function migrateKeys(argv: Arg[]): number[] {
  let first = 3
  let num = 1
  for (let i = 6; i < argv.length; i++) {
    const a = str(argv[i]!).toLowerCase()
    if (a === 'keys') {
      if (bytesOf(argv[3]!).length > 0) return []
      first = i + 1
      num = argv.length - first
      break
    }
    if (a === 'auth') i += 1
    else if (a === 'auth2') i += 2
  }
  const out: number[] = []
  for (let i = 0; i < num; i++) out.push(first + i)
  return out
}

/** The getkeys callbacks Redis falls back to when the key specs cannot say (with the flags they give). */
function keysFromCallback(cmd: Command, argv: Arg[]): KeyRef[] {
  switch (cmd.name) {
    case 'set': {
      for (let i = 3; i < argv.length; i++) if (eqi(argv[i]!, 'get')) return [{ pos: 1, flags: RW_ACCESS_UPDATE }]
      return [{ pos: 1, flags: OW_UPDATE }]
    }
    case 'bitfield': {
      let readonly = true
      for (let i = 2; i < argv.length; i++) {
        const more = argv.length - i - 1
        const a = str(argv[i]!).toLowerCase()
        if (a === 'get' && more >= 2) i += 2
        else if ((a === 'set' || a === 'incrby') && more >= 3) {
          readonly = false
          break
        } else if (a === 'overflow' && more >= 1) i += 1
        else {
          readonly = false
          break
        }
      }
      return [{ pos: 1, flags: readonly ? RO_ACCESS : RW_ACCESS_UPDATE }]
    }
    case 'sort': {
      const out: KeyRef[] = [{ pos: 1, flags: RO_ACCESS }]
      let store = 0
      for (let i = 2; i < argv.length; i++) {
        const a = str(argv[i]!).toLowerCase()
        if (a === 'limit') i += 2
        else if (a === 'get' || a === 'by') i += 1
        else if (a === 'store' && i + 1 < argv.length) store = i + 1 // the last STORE wins
      }
      if (store !== 0) out.push({ pos: store, flags: OW_UPDATE })
      return out
    }
    case 'sort_ro':
      return [{ pos: 1, flags: RO_ACCESS }]
    case 'georadius':
    case 'georadiusbymember': {
      // The last STORE/STOREDIST with a key after it names the destination.
      let store = 0
      for (let i = 5; i < argv.length; i++) {
        const a = str(argv[i]!).toLowerCase()
        if ((a === 'store' || a === 'storedist') && i + 1 < argv.length) store = ++i
      }
      return store === 0 ? [{ pos: 1, flags: RO_ACCESS }] : [{ pos: 1, flags: RO_ACCESS }, { pos: store, flags: OW_UPDATE }]
    }
    case 'migrate':
      return migrateKeys(argv).map((pos) => ({ pos, flags: RW_ACCESS_DELETE }))
  }
  // The numkeys commands (EVAL, FCALL, ZUNIONSTORE, LMPOP...) fall back to genericGetKeys: numkeys read
  // with atoi, no keys unless 1 <= numkeys <= the arguments left, no flags.
  const specs = cmd.meta.specs as KeySpec[]
  const knum = specs.find((sp) => sp.find_keys.type === 'keynum' && sp.begin_search.type === 'index')
  if (knum === undefined) return []
  const countAt = knum.begin_search.pos! + knum.find_keys.keynumidx!
  const firstAt = knum.begin_search.pos! + knum.find_keys.firstkey!
  if (countAt >= argv.length) return []
  const num = atoi(str(argv[countAt]!))
  if (num < 1 || num > argv.length - firstAt) return []
  const out: KeyRef[] = []
  for (let i = 0; i < num; i++) out.push({ pos: firstAt + i, flags: [] })
  const store = specs.find((sp) => sp !== knum && sp.begin_search.type === 'index' && sp.find_keys.type === 'range')
  if (store !== undefined) out.push({ pos: store.begin_search.pos!, flags: [] })
  return out
}

/** C's atoi: leading blanks, a sign, digits up to the first other character. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s)
  return m === null ? 0 : Number(m[1])
}

/** COMMAND GETKEYS(ANDFLAGS): the keys of a full command with their flags, with Redis's errors. */
export function commandKeysAndFlags(argv: Arg[]): KeyRef[] {
  let cmd = TABLE.get(lower(argv[0]!))
  if (cmd !== undefined && argv.length > 1 && cmd.subcommands !== undefined) cmd = cmd.subcommands.get(lower(argv[1]!))
  if (cmd === undefined) fail('Invalid command specified')
  const specs = cmd.meta.specs as KeySpec[]
  if (!specs.some((s) => !s.flags.includes('NOT_KEY'))) fail('The command has no key arguments')
  if ((cmd.arity > 0 && cmd.arity !== argv.length) || argv.length < -cmd.arity) fail('Invalid number of arguments specified for command')
  let keys: KeyRef[] | null = null
  if (!specs.some((s) => s.flags.includes('VARIABLE_FLAGS'))) keys = keysFromSpecs(specs, argv, cmd.arity)
  if (keys === null) keys = keysFromCallback(cmd, argv)
  if (keys.length === 0 && !cmd.meta.flags.includes('no_mandatory_keys')) fail('Invalid arguments specified for command')
  return keys
}

defineCommand('command|getkeysandflags', {
  parse: (a) => a,
  run(_ctx, argv: Arg[]): Reply {
    return commandKeysAndFlags(argv).map((k) => {
      const flags: Reply[] = []
      for (const [spec, name] of KEY_FLAG_ORDER) if (k.flags.includes(spec)) flags.push(new Status(name))
      return [argv[k.pos]!, new SetReply(flags)]
    })
  },
})

// ---------------------------------------------------------------- DEBUG

/**
 * DEBUG subcommands (lower-case name → handler over the arguments after the
 * subcommand). They run only when `enable-debug-command` allows it; other
 * modules may add theirs here.
 */
export const DEBUG_SUBCOMMANDS = new Map<string, (ctx: Session, args: Arg[]) => Reply | Promise<Reply>>()

defineCommand('debug', {
  parse: (a) => a,
  run(ctx, a: Arg[]): Reply | Promise<Reply> {
    if (!protectedAllowed(ctx, 'enable-debug-command')) protectedError('DEBUG')
    const sub = lower(a[0]!)
    if (sub === 'help') {
      const lines: string[] = []
      for (const name of DEBUG_SUBCOMMANDS.keys()) lines.push(name.toUpperCase())
      return helpReply('DEBUG', lines)
    }
    const fn = DEBUG_SUBCOMMANDS.get(sub)
    if (fn === undefined) fail(`unknown subcommand '${str(a[0]!).slice(0, 128)}'. Try DEBUG HELP.`)
    return fn(ctx, a.slice(1))
  },
})

// ---------------------------------------------------------------- LATENCY (no latency events are ever recorded)

const DOCTOR_DISABLED =
  "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
const DOCTOR_QUIET =
  'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n'

defineCommand('latency|doctor', {
  parse: () => undefined,
  run: (ctx): Reply => new Verbatim(ctx.ks.config.get<number>('latency-monitor-threshold') === 0 ? DOCTOR_DISABLED : DOCTOR_QUIET),
})

defineCommand('latency|graph', {
  parse: (a) => a[0]!,
  run: (_ctx, event: Arg): Reply => fail(`No samples available for event '${str(event)}'`),
})

defineCommand('latency|history', { parse: () => undefined, run: (): Reply => [] })
defineCommand('latency|latest', { parse: () => undefined, run: (): Reply => [] })
defineCommand('latency|reset', { parse: () => undefined, run: (): Reply => 0 })
// Per-command latency histograms are not tracked: no command has one to report.
defineCommand('latency|histogram', { parse: () => undefined, run: (): Reply => new MapReply([]) })

defineCommand('latency|help', {
  parse: () => undefined,
  run: () =>
    helpReply('LATENCY', [
      'DOCTOR',
      '    Return a human readable latency analysis report.',
      'GRAPH <event>',
      '    Return an ASCII latency graph for the <event> class.',
      'HISTORY <event>',
      '    Return time-latency samples for the <event> class.',
      'LATEST',
      '    Return the latest latency samples for all events.',
      'RESET [<event> ...]',
      '    Reset latency data of one or more <event> classes.',
      '    (default: reset all data for all event classes)',
      'HISTOGRAM [COMMAND ...]',
      '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
      '    If no commands are specified then all histograms are replied.',
    ]),
})

// ---------------------------------------------------------------- SLOWLOG

const SLOWLOG_MAX_ARGC = 32
const SLOWLOG_MAX_STRING = 128
const REDACTED = '(redacted)'
/** CONFIG SET parameters whose values Redis keeps out of the slow log. */
const SENSITIVE_CONFIGS = new Set(['requirepass', 'masterauth', 'tls-key-file-pass', 'tls-client-key-file-pass'])

/**
 * Which arguments are secrets, as Redis's redactClientCommandArgument marks
 * them while the command runs (the slow log and MONITOR show them as
 * "(redacted)"): a mask over argv, or null when nothing is. Redis redacts as
 * it parses, so arguments after the point where a command gave up stay as
 * they are (AUTH with too many arguments, HELLO with a bad protocol version).
 */
export function redactionMask(cmd: Command, argv: Arg[]): Uint8Array | null {
  const argc = argv.length
  let redact: Uint8Array
  switch (cmd.name) {
    case 'auth':
      if (argc > 3) return null
      redact = new Uint8Array(argc)
      for (let i = 1; i < argc; i++) redact[i] = 1
      return redact
    case 'acl|setuser':
      redact = new Uint8Array(argc)
      for (let i = 2; i < argc; i++) redact[i] = 1
      return redact
    case 'hello': {
      if (argc < 2) return null
      const ver = string2ll(str(argv[1]!))
      if (ver === undefined || Number(ver) < 2 || Number(ver) > 3) return null
      redact = new Uint8Array(argc)
      for (let j = 2; j < argc; j++) {
        const more = argc - 1 - j
        const o = str(argv[j]!).toLowerCase()
        if (o === 'auth' && more >= 2) {
          redact[j + 1] = redact[j + 2] = 1
          j += 2
        } else if (o === 'setname' && more >= 1) j++
        else break
      }
      return redact
    }
    case 'migrate':
      redact = new Uint8Array(argc)
      for (let j = 6; j < argc; j++) {
        const more = argc - 1 - j
        const o = str(argv[j]!).toLowerCase()
        if (o === 'copy' || o === 'replace') continue
        if (o === 'auth' && more >= 1) redact[++j] = 1
        else if (o === 'auth2' && more >= 2) {
          redact[j + 1] = redact[j + 2] = 1
          j += 2
        } else break
      }
      return redact
    case 'config|set':
      redact = new Uint8Array(argc)
      for (let j = 2; j + 1 < argc; j += 2) if (SENSITIVE_CONFIGS.has(str(argv[j]!).toLowerCase())) redact[j + 1] = 1
      return redact
  }
  return null
}

/** The argument vector as the slow log keeps it: secrets redacted, long values cut. */
function slowArgv(cmd: Command, argv: Arg[]): Arg[] {
  const argc = argv.length
  const redact = redactionMask(cmd, argv)
  const n = Math.min(argc, SLOWLOG_MAX_ARGC)
  const out: Arg[] = new Array(n)
  for (let j = 0; j < n; j++) {
    if (n !== argc && j === n - 1) {
      out[j] = `... (${argc - n + 1} more arguments)`
      continue
    }
    if (redact !== null && redact[j]) {
      out[j] = REDACTED
      continue
    }
    const a = argv[j]!
    const len = typeof a === 'string' ? Buffer.byteLength(a, 'utf8') : a.length
    if (len <= SLOWLOG_MAX_STRING) out[j] = typeof a === 'string' ? a : Buffer.from(a)
    else {
      const head = bytesOf(a).subarray(0, SLOWLOG_MAX_STRING)
      out[j] = Buffer.concat([head, Buffer.from(`... (${len - SLOWLOG_MAX_STRING} more bytes)`)])
    }
  }
  return out
}

/**
 * The dispatcher's slow-log hook: call it after each command has run, with
 * its execution time in microseconds (Redis's slowlogPushCurrentCommand).
 * Cheap when the command was fast enough: two config reads and a compare.
 */
export function recordSlow(store: StoreCore, session: Session, argv: Arg[], durationUs: number): void {
  const cfg = store.ks.config
  const limit = cfg.get<number>('slowlog-log-slower-than')
  const us = Math.floor(durationUs)
  if (limit < 0 || us < limit) return
  let cmd = TABLE.get(lower(argv[0]!))
  if (cmd === undefined) return
  if (cmd.subcommands !== undefined && argv.length > 1) cmd = cmd.subcommands.get(lower(argv[1]!)) ?? cmd
  if (cmd.meta.flags.includes('skip_slowlog')) return
  const st = stateOf(store)
  st.slow.push({
    id: st.slowNextId++,
    time: Math.floor(store.ks.clock.now() / 1000),
    duration: us,
    argv: slowArgv(cmd, argv),
    peer: session.addr,
    name: session.name ?? '',
  })
  trimSlow(st, cfg.get<number>('slowlog-max-len'))
}

function trimSlow(st: AdminState, max: number): void {
  const len = st.slow.length - st.slowStart
  if (len > max) st.slowStart += len - max
  // Drop the cut-off head once it is the larger part, so trimming stays O(1) amortised.
  if (st.slowStart > 32 && st.slowStart * 2 > st.slow.length) {
    st.slow = st.slow.slice(st.slowStart)
    st.slowStart = 0
  }
}

/** A slow-log entry as the typed API returns it. */
export interface SlowlogEntry {
  /** Unique, increasing id. */
  id: number
  /** Unix time (seconds) the command was logged. */
  timestamp: number
  /** Execution time in microseconds. */
  durationUs: number
  /** The command and its arguments (secrets redacted, long values cut as Redis does). */
  args: Arg[]
  /** The client's address (empty for in-process sessions). */
  client: string
  /** The client's name (CLIENT SETNAME), or ''. */
  clientName: string
}

/** The newest `count` entries (all with -1), newest first. */
export function slowlogEntries(store: StoreCore, count: number): SlowlogEntry[] {
  const st = stateOf(store)
  const out: SlowlogEntry[] = []
  const n = count < 0 ? Infinity : count
  for (let i = st.slow.length - 1; i >= st.slowStart && out.length < n; i--) {
    const e = st.slow[i]!
    out.push({ id: e.id, timestamp: e.time, durationUs: e.duration, args: e.argv.slice(), client: e.peer, clientName: e.name })
  }
  return out
}

export function slowlogLength(store: StoreCore): number {
  const st = stateOf(store)
  return st.slow.length - st.slowStart
}

export function slowlogClear(store: StoreCore): void {
  const st = stateOf(store)
  st.slow = []
  st.slowStart = 0
}

export const SLOWLOG_GET = defineCommand('slowlog|get', {
  parse(a, ctx): number {
    if (a.length > 1) subcommandSyntaxError(ctx)
    if (a.length === 0) return 10
    const n = string2ll(str(a[0]!))
    if (n === undefined || n < -1) fail('count should be greater than or equal to -1')
    return Number(n)
  },
  run(ctx, count: number): Reply {
    // Entries are never trimmed lazily: a lowered slowlog-max-len applies from the next command, as in Redis.
    return slowlogEntries(ctx.store, count).map((e): Reply => [e.id, e.timestamp, e.durationUs, e.args, e.client, e.clientName])
  },
})

export const SLOWLOG_LEN = defineCommand('slowlog|len', { parse: () => undefined, run: (ctx): Reply => slowlogLength(ctx.store) })

export const SLOWLOG_RESET = defineCommand('slowlog|reset', {
  parse: () => undefined,
  run(ctx): Reply {
    slowlogClear(ctx.store)
    return OK
  },
})

defineCommand('slowlog|help', {
  parse: () => undefined,
  run: () =>
    helpReply('SLOWLOG', [
      'GET [<count>]',
      '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
      '    Entries are made of:',
      '    id, timestamp, time in microseconds, arguments array, client IP and port,',
      '    client name',
      'LEN',
      '    Return the length of the slowlog.',
      'RESET',
      '    Reset the slowlog.',
    ]),
})

// ---------------------------------------------------------------- LOLWUT

/** A monochrome or 4-level canvas, one byte per pixel. */
class Canvas {
  readonly pixels: Uint8Array
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height)
  }
  set(x: number, y: number, color: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return
    this.pixels[y * this.width + x] = color
  }
  get(x: number, y: number): number {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return 0
    return this.pixels[y * this.width + x]!
  }
  /** Bresenham's line. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1)
    const dy = Math.abs(y2 - y1)
    const sx = x1 < x2 ? 1 : -1
    const sy = y1 < y2 ? 1 : -1
    let err = dx - dy
    for (;;) {
      this.set(x1, y1, color)
      if (x1 === x2 && y1 === y2) break
      const e2 = err * 2
      if (e2 > -dy) {
        err -= dy
        x1 += sx
      }
      if (e2 < dx) {
        err += dx
        y1 += sy
      }
    }
  }
}

/** Georg Nees' "Schotter": rows of squares, more and more rotated and displaced going down (LOLWUT 5). */
function schotter(cols: number, perRow: number, perCol: number): string {
  const width = cols * 2
  const padding = width > 4 ? 2 : 0
  const side = Math.fround((width - padding * 2) / perRow)
  const height = Math.trunc(side * perCol + padding * 2)
  const c = new Canvas(width, height)
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(x * side + side / 2 + padding)
      let sy = Math.trunc(y * side + side / 2 + padding)
      let angle = 0
      if (y > 1) {
        const r = (): number => ((Math.random() / perCol) * y) * (Math.random() < 0.5 ? -1 : 1)
        angle = r()
        sx += Math.trunc((r() * side) / 3)
        sy += Math.trunc((r() * side) / 3)
      }
      // The square inscribed in a circle of radius `size`.
      const size = Math.round(side / Math.SQRT2)
      const px: number[] = []
      const py: number[] = []
      let k = Math.PI / 4 + angle
      for (let j = 0; j < 4; j++) {
        px.push(Math.round(Math.sin(k) * size + sx))
        py.push(Math.round(Math.cos(k) * size + sy))
        k += Math.PI / 2
      }
      for (let j = 0; j < 4; j++) c.line(px[j]!, py[j]!, px[(j + 1) % 4]!, py[(j + 1) % 4]!, 1)
    }
  }
  // Braille characters: each holds a 2x4 block of pixels.
  let out = ''
  for (let y = 0; y < height; y += 4) {
    for (let x = 0; x < width; x += 2) {
      let bits = 0
      if (c.get(x, y)) bits |= 1
      if (c.get(x, y + 1)) bits |= 2
      if (c.get(x, y + 2)) bits |= 4
      if (c.get(x + 1, y)) bits |= 8
      if (c.get(x + 1, y + 1)) bits |= 16
      if (c.get(x + 1, y + 2)) bits |= 32
      if (c.get(x, y + 3)) bits |= 64
      if (c.get(x + 1, y + 3)) bits |= 128
      out += String.fromCharCode(0x2800 + bits)
    }
    if (y !== height - 1) out += '\n'
  }
  return out
}

/** A night skyline of three layers of buildings under a starry sky (LOLWUT 6), drawn with ANSI colours. */
function skyline(cols: number, rows: number): string {
  const c = new Canvas(cols, rows)
  for (let i = 0; i < (cols * rows) / 30; i++) c.set(Math.floor(Math.random() * cols), Math.floor(Math.random() * rows), Math.random() < 0.5 ? 2 : 3)
  // Far buildings are dim, near ones bright; each has lit windows.
  for (let layer = 0; layer < 3; layer++) {
    const color = layer === 2 ? 2 : 1
    let x = -Math.floor(Math.random() * 6)
    while (x < cols) {
      const w = 4 + Math.floor(Math.random() * (layer === 2 ? 8 : 6))
      const h = Math.max(1, Math.floor(rows * (0.25 + 0.15 * (2 - layer) + Math.random() * 0.35)))
      for (let by = rows - h; by < rows; by++) {
        for (let bx = x; bx < x + w; bx++) {
          const edge = bx === x || bx === x + w - 1 || by === rows - h
          const window = !edge && (bx - x) % 2 === 1 && (by - (rows - h)) % 2 === 1 && Math.random() < 0.3
          c.set(bx, by, window ? 3 : layer === 2 && !edge ? 0 : color)
        }
      }
      x += w + 1 + Math.floor(Math.random() * 3)
    }
  }
  const CODES = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m']
  let out = ''
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) out += `\x1b[${CODES[c.get(x, y)]} \x1b[0m`
    if (y !== rows - 1) out += '\n'
  }
  return out
}

function clampArg(a: Arg | undefined, dflt: number, min: number, max: number): number {
  if (a === undefined) return dflt
  const n = int(a)
  return n < min ? min : n > max ? max : n
}

interface LolwutArgs {
  version: number
  rest: Arg[]
}

defineCommand('lolwut', {
  parse(a): LolwutArgs {
    if (a.length >= 2 && kw(a[0]!) === 'VERSION') {
      // Redis prints the version as an unsigned int and looks at its first digits.
      const v = Number(BigInt.asUintN(32, BigInt(int64(a[1]!))))
      return { version: v === 5 || v === 6 ? v : 0, rest: a.slice(2) }
    }
    return { version: 0, rest: a }
  },
  run(ctx, a: LolwutArgs): Reply {
    const version = ctx.store.redisVersion
    if (a.version === 5) {
      const cols = clampArg(a.rest[0], 66, 1, 1000)
      const perRow = clampArg(a.rest[1], 8, 1, 200)
      const perCol = clampArg(a.rest[2], 12, 1, 200)
      return new Verbatim(schotter(cols, perRow, perCol) + '\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ' + version + '\n')
    }
    if (a.version === 6) {
      const cols = clampArg(a.rest[0], 80, 1, 1000)
      const rows = clampArg(a.rest[1], 20, 1, 1000)
      return new Verbatim(
        skyline(cols, rows) +
          '\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. ' +
          version +
          '\n',
      )
    }
    return new Verbatim('Redis ver. ' + version + '\n')
  },
})

// ---------------------------------------------------------------- ROLE / WAIT / WAITAOF

defineCommand('role', { parse: () => undefined, run: (): Reply => ['master', 0, []] })

/** getTimeoutFromObjectOrReply in milliseconds: a relative timeout (0 = forever). */
function msTimeout(a: Arg, now: number): number {
  const t = string2ll(str(a))
  if (t === undefined) fail('timeout is not an integer or out of range')
  if (t < 0) fail('timeout is negative')
  if (t > 0 && BigInt(t) > LLONG_MAX - BigInt(now)) fail('timeout is out of range')
  return Number(t)
}

/** Waits for replica acknowledgements that never come: the reply after the timeout (never, for 0). */
function waitForReplicas(ctx: Session, timeoutMs: number, reply: Reply): Reply | Promise<Reply> {
  if (ctx.noBlock) return reply
  return blockOn(ctx, { keys: [], type: -1, timeoutMs, timeoutReply: reply, retry: () => undefined })
}

defineCommand('wait', {
  parse(a, ctx): { replicas: number; timeout: number } {
    const replicas = int(a[0]!)
    return { replicas, timeout: msTimeout(a[1]!, ctx.ks.now()) }
  },
  run(ctx, a: { replicas: number; timeout: number }): Reply | Promise<Reply> {
    // No replicas: asking for none is met at once; asking for more waits out the timeout.
    if (a.replicas <= 0) return 0
    return waitForReplicas(ctx, a.timeout, 0)
  },
})

/** The append-only file adapter, when the store has one. */
function aofEnabled(store: StoreCore): boolean {
  return hostOf(store)?.adapters.some((x) => x.name === 'aof') ?? false
}

defineCommand('waitaof', {
  parse(a, ctx): { local: number; replicas: number; timeout: number } {
    const local = int(a[0]!)
    if (local < 0 || local > 1) fail('value is out of range, value must between 0 and 1')
    const r = string2ll(str(a[1]!))
    if (r === undefined || r < 0) fail(E.MUST_BE_POSITIVE)
    return { local, replicas: Number(r), timeout: msTimeout(a[2]!, ctx.ks.now()) }
  },
  run(ctx, a: { local: number; replicas: number; timeout: number }): Reply | Promise<Reply> {
    const aof = aofEnabled(ctx.store)
    if (!aof && a.local > 0) fail('WAITAOF cannot be used when numlocal is set but appendonly is disabled.')
    const reply: Reply = [aof ? 1 : 0, 0]
    const answer = (): Reply | Promise<Reply> => (a.replicas <= 0 ? reply : waitForReplicas(ctx, a.timeout, reply))
    if (!aof) return answer()
    // The local count is an fsync of the append-only file: ask the adapters to make everything durable.
    const flushes: Promise<void>[] = []
    for (const ad of hostOf(ctx.store)!.adapters) {
      const p = ad.flush?.()
      if (p instanceof Promise) flushes.push(p)
    }
    return flushes.length === 0 ? answer() : Promise.all(flushes).then(answer)
  },
})

// ---------------------------------------------------------------- replication

const NOT_A_REPLICA = 'embedis does not replicate: REPLICAOF only accepts NO ONE'

function replicaof(a: Arg[]): Reply {
  if (kw(a[0]!) === 'NO' && kw(a[1]!) === 'ONE') return OK
  const port = string2ll(str(a[1]!))
  if (port === undefined || port < 0 || port > 65535) fail('Invalid master port')
  return fail(NOT_A_REPLICA)
}

defineCommand('replicaof', { parse: (a) => a, run: (_ctx, a: Arg[]) => replicaof(a) })
defineCommand('slaveof', { parse: (a) => a, run: (_ctx, a: Arg[]) => replicaof(a) })

defineCommand('failover', {
  parse(a): boolean {
    if (a.length === 1 && kw(a[0]!) === 'ABORT') return true
    let timeout = 0
    let host = false
    let force = false
    for (let j = 0; j < a.length; j++) {
      const o = kw(a[j]!)
      if (o === 'TIMEOUT' && j + 1 < a.length && timeout === 0) {
        timeout = int(a[j + 1]!)
        if (timeout <= 0) fail('FAILOVER timeout must be greater than 0')
        j++
      } else if (o === 'TO' && j + 2 < a.length && !host) {
        int(a[j + 2]!)
        host = true
        j += 2
      } else if (o === 'FORCE' && !force) force = true
      else syntaxError()
    }
    return false
  },
  run(_ctx, abort: boolean): Reply {
    return fail(abort ? 'No failover in progress.' : 'FAILOVER requires connected replicas.')
  },
})

const NO_REPLICAS = 'embedis cannot serve replicas: SYNC and PSYNC are not supported'

defineCommand('sync', { parse: () => undefined, run: () => fail(NO_REPLICAS) })

defineCommand('psync', {
  parse(a): undefined {
    if (string2ll(str(a[1]!)) === undefined) fail(E.NOT_INTEGER)
    return undefined
  },
  run: () => fail(NO_REPLICAS),
})

/** No reply at all: what Redis sends a client that is not a replica for REPLCONF ACK/FACK/GETACK. */
const NO_REPLY = new Replies([])

defineCommand('replconf', {
  parse: (a) => a,
  run(_ctx, a: Arg[]): Reply {
    if (a.length % 2 !== 0) syntaxError()
    for (let j = 0; j < a.length; j += 2) {
      const o = str(a[j]!).toLowerCase()
      const v = a[j + 1]!
      if (o === 'listening-port') int(v)
      else if (o === 'ip-address') {
        const n = bytesOf(v).length
        if (n >= 256) fail(`REPLCONF ip-address provided by replica instance is too long: ${n} bytes`)
      } else if (o === 'capa') {
        // Capabilities only matter to a replica.
      } else if (o === 'ack' || o === 'fack' || o === 'getack') return NO_REPLY as unknown as Reply
      else if (o === 'rdb-only') {
        const n = int(v)
        if (n < 0 || n > 1) fail('value is out of range, value must between 0 and 1')
      } else if (o === 'rdb-filter-only') {
        for (const f of str(v).split(/\s+/)) {
          if (f !== '' && f.toLowerCase() !== 'functions') fail(`Unsupported rdb-filter-only option: ${f}`)
        }
      } else fail(`Unrecognized REPLCONF option: ${str(a[j]!)}`)
    }
    return OK
  },
})

// ---------------------------------------------------------------- MODULE (no modules can be loaded)

defineCommand('module|list', { parse: () => undefined, run: (): Reply => [] })

defineCommand('module|load', {
  parse: () => undefined,
  run(ctx): Reply {
    if (!protectedAllowed(ctx, 'enable-module-command')) protectedError('MODULE')
    return fail('Error loading the extension. Please check the server logs.')
  },
})

defineCommand('module|loadex', {
  parse: () => undefined,
  run(ctx): Reply {
    if (!protectedAllowed(ctx, 'enable-module-command')) protectedError('MODULE')
    return fail('Error loading the extension. Please check the server logs.')
  },
})

defineCommand('module|unload', {
  parse: () => undefined,
  run(ctx): Reply {
    if (!protectedAllowed(ctx, 'enable-module-command')) protectedError('MODULE')
    return fail('Error unloading module: no such module with that name')
  },
})

defineCommand('module|help', {
  parse: () => undefined,
  run: () =>
    helpReply('MODULE', [
      'LIST',
      '    Return a list of loaded modules.',
      'LOAD <path> [<arg> ...]',
      '    Load a module library from <path>, passing to it any optional arguments.',
      'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
      '    Load a module library from <path>, while passing it module configurations and optional arguments.',
      'UNLOAD <name>',
      '    Unload a module.',
    ]),
})

// ---------------------------------------------------------------- MONITOR / SHUTDOWN

/** MONITOR: the session receives a line for every command (src/keyspace/monitor.ts). */
export const MONITOR = defineCommand('monitor', {
  parse: () => undefined,
  run(ctx): Reply {
    // A client that expects one reply per command (inside EXEC) cannot take a stream.
    if (ctx.noBlock) fail("MONITOR isn't allowed for DENY BLOCKING client")
    // The store's own session has nowhere to send the lines, and in MONITOR mode it could no longer read or write.
    if (ctx === ctx.store.s) fail('MONITOR needs a session of its own: use store.monitor(listener) in process')
    // Already monitoring: Redis ignores it, without a reply.
    if (ctx.gate & G.MONITOR) return NO_REPLY as unknown as Reply
    startMonitoring(ctx)
    return OK
  },
})

/** SHUTDOWN's arguments. */
export interface ShutdownArgs {
  /** true: SAVE (save even without save rules); false: NOSAVE; undefined: save when an adapter saves on close (save rules). */
  save: boolean | undefined
  /** FORCE: close even when the save fails. */
  force: boolean
  /** ABORT: cancel a shutdown in progress. */
  abort: boolean
}

const SHUTDOWN_FAILED = 'ERR Errors trying to SHUTDOWN. Check logs.'

/**
 * Redis's SHUTDOWN for an embedded store: the final save (never with NOSAVE,
 * always with SAVE, else when an adapter saves on close), then
 * `store.close()` — which stops a RESP server serving the store and its
 * connections. A failed save throws Redis's error (the cause attached) and
 * leaves everything open, unless `force`. The process is never exited: the
 * CLI does that once its store has closed.
 */
export function shutdownStore(store: StoreCore, save: boolean | undefined, force: boolean): void {
  const host = hostOf(store)
  if (host !== undefined && !store.isClosed) {
    try {
      host.shutdown(save, force)
    } catch (e) {
      const err = new ReplyError(SHUTDOWN_FAILED)
      err.cause = e
      throw err
    }
  }
  store.close()
}

export const SHUTDOWN = defineCommand('shutdown', {
  parse(a): ShutdownArgs {
    let save = false
    let nosave = false
    let now = false
    let force = false
    let abort = false
    for (const x of a) {
      switch (kw(x)) {
        case 'NOSAVE':
          nosave = true
          break
        case 'SAVE':
          save = true
          break
        case 'NOW':
          now = true
          break
        case 'FORCE':
          force = true
          break
        case 'ABORT':
          abort = true
          break
        default:
          syntaxError()
      }
    }
    if ((abort && (save || nosave || now || force)) || (save && nosave)) syntaxError()
    return { save: save ? true : nosave ? false : undefined, force, abort }
  },
  run(ctx, a: ShutdownArgs): Reply {
    // A shutdown never waits here (no replicas to catch up), so none is ever in progress; NOW changes nothing.
    if (a.abort) fail('No shutdown in progress.')
    shutdownStore(ctx.store, a.save, a.force)
    // A connection is closed without a reply, as when redis-server exits; in-process callers get OK.
    if (!ctx.connected) return OK
    ctx.closeAfterReply = true
    return NO_REPLY as unknown as Reply
  },
})

// ---------------------------------------------------------------- MIGRATE / RESTORE-ASKING

defineCommand('migrate', {
  parse(a): Arg[] {
    // a[0] host, a[1] port, a[2] key, a[3] db, a[4] timeout, then options.
    let keys: Arg[] = [a[2]!]
    for (let j = 5; j < a.length; j++) {
      const o = kw(a[j]!)
      const more = a.length - 1 - j
      if (o === 'COPY' || o === 'REPLACE') continue
      if (o === 'AUTH') {
        if (more < 1) syntaxError()
        j++
      } else if (o === 'AUTH2') {
        if (more < 2) syntaxError()
        j += 2
      } else if (o === 'KEYS') {
        if (bytesOf(a[2]!).length !== 0) fail('When using MIGRATE KEYS option, the key argument must be set to the empty string')
        keys = a.slice(j + 1)
        break
      } else syntaxError()
    }
    int(a[4]!)
    int(a[3]!)
    return keys
  },
  run(ctx, keys: Arg[]): Reply {
    let found = false
    for (const k of keys) if (ctx.db.read(key(k)) !== undefined) found = true
    if (!found) return new Status('NOKEY')
    return fail('MIGRATE is not supported by embedis: it cannot connect to another server (use DUMP and RESTORE)')
  },
  getKeys: migrateKeys,
})

defineCommand('restore-asking', {
  parse(a, ctx): unknown {
    const restore = TABLE.get('restore')
    if (restore === undefined) fail('RESTORE-ASKING is not available: this build has no RESTORE')
    return restore.parse(a, ctx)
  },
  run: (ctx, a: unknown) => TABLE.get('restore')!.run(ctx, a),
})
