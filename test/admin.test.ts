import { describe, expect, it } from 'vitest'
import { ManualClock, ReplyError, Store } from '../src/index.js'
import { AdminApi } from '../src/api/admin.js'
import { aclLogAuthFailure, commandKeysAndFlags, DEBUG_SUBCOMMANDS, recordSlow, sha256Hex } from '../src/commands/admin.js'
import { Double, MapReply, Replies, type Reply, SetReply, Status, Verbatim } from '../src/core/reply.js'
import { ReplyParser, encodeReply } from '../src/protocol/resp.js'
import type { Session } from '../src/session.js'
import type { StoreCore } from '../src/store-core.js'
import { attachPersistence } from '../src/persistence/adapter.js'
import type { Arg } from '../src/commands/table.js'

const fresh = (opts: ConstructorParameters<typeof Store>[0] = {}) => new Store({ activeExpiry: false, ...opts })

/** Runs a command in a session; errors come back as ReplyError values. */
const run = (s: Session, ...argv: Arg[]) => s.execute(argv) as Reply

function errorOf(s: Session, ...argv: Arg[]): string {
  const r = run(s, ...argv)
  if (!(r instanceof ReplyError)) throw new Error(`expected an error from ${argv.join(' ')}, got ${JSON.stringify(r)}`)
  return r.message
}

/** A reply as a RESP2 client reads it. */
function wire(r: Reply): unknown {
  const p = new ReplyParser()
  p.feed(encodeReply(r, 2))
  return p.next()
}

const slow = {
  get: (st: StoreCore, n?: number) => AdminApi.prototype.slowlogGet.call(st, n),
  len: (st: StoreCore) => AdminApi.prototype.slowlogLen.call(st),
  reset: (st: StoreCore) => AdminApi.prototype.slowlogReset.call(st),
}

describe('sha256Hex', () => {
  it('matches the standard test vectors', () => {
    expect(sha256Hex(Buffer.from(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(sha256Hex(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    )
    // Longer than one block, with a length that crosses the padding boundary.
    expect(sha256Hex(Buffer.alloc(1000, 'a'))).toBe('41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3')
  })
})

describe('ACL', () => {
  it('reports the one default user', () => {
    const st = fresh()
    const s = st.session()
    expect(run(s, 'ACL', 'WHOAMI')).toBe('default')
    expect(run(s, 'ACL', 'USERS')).toEqual(['default'])
    expect(run(s, 'ACL', 'LIST')).toEqual(['user default on nopass sanitize-payload ~* &* +@all'])
    expect(run(s, 'ACL', 'GETUSER', 'nobody')).toBeNull()
    const u = run(s, 'ACL', 'GETUSER', 'default')
    expect(u).toBeInstanceOf(MapReply)
    const m = (u as MapReply).entries
    expect(m[0]).toBe('flags')
    expect(m[1]).toBeInstanceOf(SetReply)
    expect((m[1] as SetReply).items).toEqual(['on', 'nopass', 'sanitize-payload'])
    expect(m.slice(2)).toEqual(['passwords', [], 'commands', '+@all', 'keys', '~*', 'channels', '&*', 'selectors', []])
  })

  it('sets requirepass from ACL SETUSER >password, and AUTH honours it', () => {
    const st = fresh()
    const s = st.session()
    expect(run(s, 'ACL', 'SETUSER', 'default', '>s3cret')).toEqual(new Status('OK'))
    expect(st.requirePass()).toBe('s3cret')
    expect(run(s, 'ACL', 'LIST')).toEqual([`user default on sanitize-payload #${sha256Hex(Buffer.from('s3cret'))} ~* &* +@all`])
    // A new connection must now authenticate, with that password.
    const c = st.connect()
    expect(errorOf(c, 'GET', 'k')).toBe('NOAUTH Authentication required.')
    expect(errorOf(c, 'AUTH', 'wrong')).toMatch(/^WRONGPASS/)
    expect(run(c, 'AUTH', 's3cret')).toEqual(new Status('OK'))
    expect(run(c, 'GET', 'k')).toBeNull()
    // The session that changed it stays authenticated; nopass lifts the requirement.
    expect(run(s, 'ACL', 'SETUSER', 'default', 'nopass')).toEqual(new Status('OK'))
    expect(st.requirePass()).toBe('')
    expect(run(st.connect(), 'GET', 'k')).toBeNull()
  })

  it('follows CONFIG SET requirepass', () => {
    const st = fresh()
    const s = st.session()
    run(s, 'CONFIG', 'SET', 'requirepass', 'pw')
    expect(run(s, 'ACL', 'LIST')).toEqual([`user default on sanitize-payload #${sha256Hex(Buffer.from('pw'))} ~* &* +@all`])
    // Removing the password by its hash and adding another in the same call keeps one password.
    expect(run(s, 'ACL', 'SETUSER', 'default', `!${sha256Hex(Buffer.from('pw'))}`, '>next')).toEqual(new Status('OK'))
    expect(st.requirePass()).toBe('next')
    // The current password's hash may be given back as #hash.
    expect(run(s, 'ACL', 'SETUSER', 'default', 'resetpass', `#${sha256Hex(Buffer.from('next'))}`)).toEqual(new Status('OK'))
    expect(st.requirePass()).toBe('next')
  })

  it('refuses, and leaves alone, what cannot be honoured for the default user', () => {
    const st = fresh()
    const s = st.session()
    run(s, 'ACL', 'SETUSER', 'default', '>a')
    const before = run(s, 'ACL', 'LIST')
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', '>b')).toMatch(/at most one password/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', 'off')).toMatch(/cannot be disabled/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', 'resetpass')).toMatch(/needs a password or nopass/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', 'nopass', '-get')).toMatch(/keeps every permission/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', 'resetkeys', '~app:*')).toMatch(/keeps every permission/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', '(~x +get)')).toMatch(/keeps every permission/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', 'resetpass', '#' + 'a'.repeat(64))).toMatch(/hash alone cannot be checked/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', 'resetpass', '>')).toMatch(/empty password/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'alice', 'on')).toBe("ERR ACL SETUSER cannot create or modify 'alice': embedis has a single user, 'default'")
    expect(run(s, 'ACL', 'LIST')).toEqual(before)
    expect(st.requirePass()).toBe('a')
  })

  it("gives Redis's errors for malformed rules, applying none of them", () => {
    const s = fresh().session()
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', '>x', 'bogus')).toBe("ERR Error in ACL SETUSER modifier 'bogus': Syntax error")
    expect(run(s, 'ACL', 'LIST')).toEqual(['user default on nopass sanitize-payload ~* &* +@all'])
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', '~foo')).toMatch(/after the \* pattern \(or the 'allkeys' flag\)/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', '&foo')).toMatch(/'allchannels' flag/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', '+nosuch')).toMatch(/Unknown command or category name in ACL$/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', '+config|get|x')).toMatch(/first-arg of a subcommand is not supported$/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', '#nothex')).toMatch(/exactly 64 characters/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', '<missing')).toMatch(/does not exist$/)
    expect(errorOf(s, 'ACL', 'SETUSER', 'default', '(~a', '+get')).toBe("ERR Unmatched parenthesis in acl selector starting at '(~a'.")
    expect(errorOf(s, 'ACL', 'SETUSER', 'a b')).toBe("ERR Usernames can't contain spaces or null characters")
  })

  it('keeps command rules added on top of +@all, as ACL LIST shows them', () => {
    const s = fresh().session()
    run(s, 'ACL', 'SETUSER', 'default', '+config|get', '+select|0', '+@String')
    expect(run(s, 'ACL', 'GETUSER', 'default')).toMatchObject({ entries: expect.arrayContaining(['+@all +config|get +select|0 +@string']) })
    // A container's rule replaces the rules of its subcommands.
    run(s, 'ACL', 'SETUSER', 'default', '+CONFIG')
    expect(run(s, 'ACL', 'LIST')).toEqual(['user default on nopass sanitize-payload ~* &* +@all +select|0 +@string +config'])
    run(s, 'ACL', 'SETUSER', 'default', 'allcommands', 'skip-sanitize-payload')
    expect(run(s, 'ACL', 'LIST')).toEqual(['user default on nopass skip-sanitize-payload ~* &* +@all'])
  })

  it('lists categories and the commands in each', () => {
    const s = fresh().session()
    const cats = run(s, 'ACL', 'CAT') as string[]
    expect(cats).toHaveLength(21)
    expect(cats.slice(0, 3)).toEqual(['keyspace', 'read', 'write'])
    const strings = run(s, 'ACL', 'CAT', 'STRING') as string[]
    expect(strings).toContain('get')
    expect(strings).toContain('setrange')
    expect(strings).not.toContain('hset')
    // Subcommands are listed by their full name.
    expect(run(s, 'ACL', 'CAT', 'admin') as string[]).toContain('config|set')
    expect(errorOf(s, 'ACL', 'CAT', 'nosuch')).toBe("ERR Unknown category 'nosuch'")
    expect(errorOf(s, 'ACL', 'CAT', 'a', 'b')).toBe("ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.")
  })

  it('generates random hex passwords of the requested size', () => {
    const s = fresh().session()
    const a = run(s, 'ACL', 'GENPASS') as string
    const b = run(s, 'ACL', 'GENPASS') as string
    expect(a).toMatch(/^[0-9a-f]{64}$/)
    expect(a).not.toBe(b)
    expect(run(s, 'ACL', 'GENPASS', '5')).toMatch(/^[0-9a-f]{2}$/)
    expect(run(s, 'ACL', 'GENPASS', '4096')).toMatch(/^[0-9a-f]{1024}$/)
    expect(errorOf(s, 'ACL', 'GENPASS', '0')).toMatch(/a positive number up to 4096$/)
    expect(errorOf(s, 'ACL', 'GENPASS', 'x')).toBe('ERR value is not an integer or out of range')
  })

  it('logs refused passwords, grouping repeats within a minute', () => {
    const clock = new ManualClock(1_700_000_000_000)
    const st = fresh({ clock })
    const s = st.session()
    const c = st.connect()
    c.argv = ['AUTH', 'x']
    aclLogAuthFailure(c, 'default')
    clock.advance(500)
    aclLogAuthFailure(c, 'default')
    c.argv = ['hello', '3', 'AUTH', 'bob', 'x']
    aclLogAuthFailure(c, 'bob')
    clock.advance(1500)
    const log = run(s, 'ACL', 'LOG') as MapReply[]
    expect(log).toHaveLength(2)
    const newest = log[0]!.entries
    expect(newest.slice(0, 10)).toEqual(['count', 1, 'reason', 'auth', 'context', 'toplevel', 'object', 'hello', 'username', 'bob'])
    expect(newest[11]).toEqual(new Double(1.5))
    expect(newest[13]).toMatch(/^id=\d+ addr=/)
    expect(newest.slice(14)).toEqual(['entry-id', 1, 'timestamp-created', 1_700_000_000_500, 'timestamp-last-updated', 1_700_000_000_500])
    const grouped = log[1]!.entries
    expect(grouped.slice(0, 2)).toEqual(['count', 2])
    expect(grouped.slice(14)).toEqual(['entry-id', 0, 'timestamp-created', 1_700_000_000_000, 'timestamp-last-updated', 1_700_000_000_500])
    expect(run(s, 'ACL', 'LOG', '1')).toHaveLength(1)
    expect(run(s, 'ACL', 'LOG', '-1')).toHaveLength(2)
    // A minute later the same failure is a new entry.
    clock.advance(61_000)
    c.argv = ['AUTH', 'x']
    aclLogAuthFailure(c, 'default')
    expect(run(s, 'ACL', 'LOG')).toHaveLength(3)
    run(s, 'CONFIG', 'SET', 'acllog-max-len', '1')
    aclLogAuthFailure(c, 'carol')
    expect(run(s, 'ACL', 'LOG')).toHaveLength(1)
    expect(run(s, 'ACL', 'LOG', 'RESET')).toEqual(new Status('OK'))
    expect(run(s, 'ACL', 'LOG')).toEqual([])
  })

  it('dry-runs commands for the default user only', () => {
    const s = fresh().session()
    expect(run(s, 'ACL', 'DRYRUN', 'default', 'SET', 'k', 'v')).toEqual(new Status('OK'))
    expect(errorOf(s, 'ACL', 'DRYRUN', 'bob', 'GET', 'k')).toBe("ERR User 'bob' not found")
    expect(errorOf(s, 'ACL', 'DRYRUN', 'default', 'config', 'nosuch')).toBe("ERR Command 'config' not found")
    expect(errorOf(s, 'ACL', 'DRYRUN', 'default', 'config', 'get')).toBe("ERR wrong number of arguments for 'config|get' command")
    // Nothing ran.
    expect(run(s, 'EXISTS', 'k')).toBe(0)
  })
})

describe('COMMAND GETKEYSANDFLAGS', () => {
  const flagsOf = (r: Reply) => (r as [Arg, SetReply][]).map(([k, f]) => [k, f.items.map((x) => (x as Status).value)])

  it('reads keys and flags from the key specs, in Redis flag order', () => {
    const s = fresh().session()
    expect(flagsOf(run(s, 'COMMAND', 'GETKEYSANDFLAGS', 'LMOVE', 'a', 'b', 'left', 'right'))).toEqual([
      ['a', ['RW', 'access', 'delete']],
      ['b', ['RW', 'insert']],
    ])
    expect(flagsOf(run(s, 'COMMAND', 'GETKEYSANDFLAGS', 'zunionstore', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'))).toEqual([
      ['d', ['OW', 'update']],
      ['a', ['RO', 'access']],
      ['b', ['RO', 'access']],
    ])
    expect(flagsOf(run(s, 'COMMAND', 'GETKEYSANDFLAGS', 'xread', 'COUNT', '1', 'STREAMS', 's1', 's2', '0', '0'))).toEqual([
      ['s1', ['RO', 'access']],
      ['s2', ['RO', 'access']],
    ])
  })

  it('uses the command callbacks when flags vary or specs are incomplete', () => {
    const s = fresh().session()
    expect(flagsOf(run(s, 'COMMAND', 'GETKEYSANDFLAGS', 'set', 'k', 'v'))).toEqual([['k', ['OW', 'update']]])
    expect(flagsOf(run(s, 'COMMAND', 'GETKEYSANDFLAGS', 'set', 'k', 'v', 'get'))).toEqual([['k', ['RW', 'access', 'update']]])
    expect(flagsOf(run(s, 'COMMAND', 'GETKEYSANDFLAGS', 'sort', 'k', 'BY', 'store', 'STORE', 'd'))).toEqual([
      ['k', ['RO', 'access']],
      ['d', ['OW', 'update']],
    ])
    expect(flagsOf(run(s, 'COMMAND', 'GETKEYSANDFLAGS', 'migrate', 'h', '1', '', '0', '5', 'AUTH2', 'u', 'p', 'KEYS', 'a', 'b'))).toEqual([
      ['a', ['RW', 'access', 'delete']],
      ['b', ['RW', 'access', 'delete']],
    ])
    // numkeys out of range: EVAL may have no keys, ZUNIONSTORE may not.
    expect(run(s, 'COMMAND', 'GETKEYSANDFLAGS', 'eval', 'x', '3', 'a')).toEqual([])
    expect(errorOf(s, 'COMMAND', 'GETKEYSANDFLAGS', 'zunionstore', 'd', '3', 'a')).toBe('ERR Invalid arguments specified for command')
  })

  it("answers Redis's errors", () => {
    expect(() => commandKeysAndFlags(['nosuch'])).toThrow('Invalid command specified')
    expect(() => commandKeysAndFlags(['ping'])).toThrow('The command has no key arguments')
    expect(() => commandKeysAndFlags(['get'])).toThrow('Invalid number of arguments specified for command')
    expect(() => commandKeysAndFlags(['object', 'nosuch', 'k'])).toThrow('Invalid command specified')
  })
})

describe('DEBUG', () => {
  const REFUSED =
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.'

  it('is refused with the default enable-debug-command no, which CONFIG SET cannot change', () => {
    const s = fresh().session()
    expect(errorOf(s, 'DEBUG', 'SLEEP', '0')).toBe(REFUSED)
    expect(errorOf(s, 'DEBUG', 'HELP')).toBe(REFUSED)
    expect(run(s, 'CONFIG', 'GET', 'enable-debug-command')).toEqual(new MapReply(['enable-debug-command', 'no']))
    expect(errorOf(s, 'CONFIG', 'SET', 'enable-debug-command', 'yes')).toMatch(/can't set immutable config$/)
  })

  it('runs registered subcommands when enabled, for local sessions under "local"', () => {
    const st = fresh()
    st.ks.config.put('enable-debug-command', 'local')
    DEBUG_SUBCOMMANDS.set('ping-test', (_ctx, args) => ['pong', ...args])
    try {
      const s = st.session()
      expect(run(s, 'DEBUG', 'PING-TEST', 'a')).toEqual(['pong', 'a'])
      expect(errorOf(s, 'DEBUG', 'nosuch')).toBe("ERR unknown subcommand 'nosuch'. Try DEBUG HELP.")
      expect(wire(run(s, 'DEBUG', 'HELP'))).toMatchObject({ t: 'array' })
      const remote = st.session()
      remote.addr = '10.1.2.3:5000'
      expect(errorOf(remote, 'DEBUG', 'PING-TEST')).toBe(REFUSED)
    } finally {
      DEBUG_SUBCOMMANDS.delete('ping-test')
    }
  })
})

describe('LATENCY', () => {
  it('reports no events, with the reply shapes Redis uses', () => {
    const st = fresh()
    const s = st.session()
    const doctor = run(s, 'LATENCY', 'DOCTOR')
    expect(doctor).toBeInstanceOf(Verbatim)
    expect((doctor as Verbatim).value).toMatch(/^I'm sorry, Dave, I can't do that\. Latency monitoring is disabled in this Redis instance\./)
    run(s, 'CONFIG', 'SET', 'latency-monitor-threshold', '100')
    expect((run(s, 'LATENCY', 'DOCTOR') as Verbatim).value).toMatch(/^Dave, no latency spike was observed/)
    expect(run(s, 'LATENCY', 'LATEST')).toEqual([])
    expect(run(s, 'LATENCY', 'HISTORY', 'command')).toEqual([])
    expect(run(s, 'LATENCY', 'RESET')).toBe(0)
    expect(run(s, 'LATENCY', 'HISTOGRAM', 'get')).toEqual(new MapReply([]))
    expect(errorOf(s, 'LATENCY', 'GRAPH', 'fork')).toBe("ERR No samples available for event 'fork'")
  })
})

describe('SLOWLOG', () => {
  it('records commands at or over slowlog-log-slower-than, newest first, up to slowlog-max-len', () => {
    const clock = new ManualClock(1_700_000_000_000)
    const st = fresh({ clock })
    const s = st.session()
    s.name = 'worker'
    recordSlow(st, s, ['GET', 'a'], 9999.9)
    expect(slow.len(st)).toBe(0)
    recordSlow(st, s, ['GET', 'a'], 10000)
    recordSlow(st, s, ['SET', 'b', 'v'], 25000.7)
    expect(slow.len(st)).toBe(2)
    const [newest, oldest] = slow.get(st)
    expect(newest).toEqual({ id: 1, timestamp: 1_700_000_000, durationUs: 25000, args: ['SET', 'b', 'v'], client: '', clientName: 'worker' })
    expect(oldest!.id).toBe(0)
    expect(run(s, 'SLOWLOG', 'GET', '1')).toEqual([[1, 1_700_000_000, 25000, ['SET', 'b', 'v'], '', 'worker']])
    run(s, 'CONFIG', 'SET', 'slowlog-max-len', '2')
    recordSlow(st, s, ['DEL', 'c'], 20000)
    expect(slow.get(st, -1).map((e) => e.id)).toEqual([2, 1])
    run(s, 'CONFIG', 'SET', 'slowlog-log-slower-than', '-1')
    recordSlow(st, s, ['DEL', 'c'], 1e9)
    expect(slow.len(st)).toBe(2)
    expect(run(s, 'SLOWLOG', 'RESET')).toEqual(new Status('OK'))
    expect(run(s, 'SLOWLOG', 'LEN')).toBe(0)
    // Ids keep counting after a reset.
    run(s, 'CONFIG', 'SET', 'slowlog-log-slower-than', '0')
    recordSlow(st, s, ['PING'], 0)
    expect(slow.get(st)[0]!.id).toBe(3)
    expect(slow.reset(st)).toBe('OK')
    expect(slow.len(st)).toBe(0)
  })

  it('keeps many entries in order while trimming', () => {
    const st = fresh({ config: { 'slowlog-log-slower-than': 0, 'slowlog-max-len': 50 } })
    const s = st.session()
    for (let i = 0; i < 1000; i++) recordSlow(st, s, ['INCR', String(i)], 1)
    const all = slow.get(st, -1)
    expect(all).toHaveLength(50)
    expect(all.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => 999 - i))
    expect(all[0]!.args).toEqual(['INCR', '999'])
  })

  it('redacts secrets and cuts long arguments as Redis does', () => {
    const st = fresh({ config: { 'slowlog-log-slower-than': 0 } })
    const s = st.session()
    const argsOf = (argv: Arg[]) => {
      slow.reset(st)
      recordSlow(st, s, argv, 1)
      return slow.get(st)[0]!.args
    }
    expect(argsOf(['AUTH', 'u', 'p'])).toEqual(['AUTH', '(redacted)', '(redacted)'])
    expect(argsOf(['HELLO', '3', 'SETNAME', 'n', 'AUTH', 'u', 'p'])).toEqual(['HELLO', '3', 'SETNAME', 'n', 'AUTH', '(redacted)', '(redacted)'])
    expect(argsOf(['config', 'set', 'maxmemory', '0', 'REQUIREPASS', 'x'])).toEqual(['config', 'set', 'maxmemory', '0', 'REQUIREPASS', '(redacted)'])
    expect(argsOf(['ACL', 'SETUSER', 'default', '>pw'])).toEqual(['ACL', 'SETUSER', '(redacted)', '(redacted)'])
    expect(argsOf(['MIGRATE', 'h', '1', '', '0', '5', 'AUTH', 'pw', 'KEYS', 'a'])).toEqual(['MIGRATE', 'h', '1', '', '0', '5', 'AUTH', '(redacted)', 'KEYS', 'a'])
    const long = 'é'.repeat(100) // 200 bytes
    const cut = argsOf(['SET', 'k', long])[2] as Buffer
    expect(Buffer.isBuffer(cut)).toBe(true)
    expect(cut.subarray(0, 128)).toEqual(Buffer.from(long).subarray(0, 128))
    expect(cut.subarray(128).toString()).toBe('... (72 more bytes)')
    const many = argsOf(['RPUSH', 'l', ...Array.from({ length: 40 }, (_, i) => String(i))])
    expect(many).toHaveLength(32)
    expect(many[30]).toBe('28')
    expect(many[31]).toBe('... (11 more arguments)')
    // EXEC is never logged (its commands are, one by one).
    slow.reset(st)
    recordSlow(st, s, ['EXEC'], 1)
    expect(slow.len(st)).toBe(0)
  })

  it('logs what the dispatcher runs', () => {
    const st = fresh({ config: { 'slowlog-log-slower-than': 0 } })
    const s = st.session()
    run(s, 'SLOWLOG', 'RESET')
    run(s, 'SET', 'a', '1')
    run(s, 'GET', 'a')
    run(s, 'MULTI')
    run(s, 'INCR', 'n')
    run(s, 'EXEC')
    // SLOWLOG RESET, SET, GET, MULTI, INCR: not EXEC, and not INCR while queued.
    expect(run(s, 'SLOWLOG', 'LEN')).toBe(5)
    // SLOWLOG LEN itself is logged once it has run.
    expect(slow.get(st).map((e) => e.args[0])).toEqual(['SLOWLOG', 'INCR', 'MULTI', 'GET', 'SET', 'SLOWLOG'])
    run(s, 'CONFIG', 'SET', 'slowlog-max-len', '2')
    run(s, 'SET', 'b', '2')
    expect(run(s, 'SLOWLOG', 'LEN')).toBe(2)
    run(s, 'SLOWLOG', 'RESET')
    expect(run(s, 'SLOWLOG', 'LEN')).toBe(1)
  })

  it("answers Redis's errors", () => {
    const s = fresh().session()
    expect(errorOf(s, 'SLOWLOG', 'GET', '-2')).toBe('ERR count should be greater than or equal to -1')
    expect(errorOf(s, 'SLOWLOG', 'GET', 'x')).toBe('ERR count should be greater than or equal to -1')
    expect(errorOf(s, 'SLOWLOG', 'GET', '1', '2')).toBe("ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.")
    expect(() => slow.get(s.store, -2)).toThrow('count should be greater than or equal to -1')
    expect(() => slow.get(s.store, -2)).toThrow(ReplyError)
  })
})

describe('LOLWUT', () => {
  it('prints the version, or the art of versions 5 and 6', () => {
    const s = fresh().session()
    expect(run(s, 'LOLWUT')).toEqual(new Verbatim('Redis ver. 7.2.4\n'))
    expect(run(s, 'LOLWUT', 'VERSION', '7')).toEqual(new Verbatim('Redis ver. 7.2.4\n'))
    const five = (run(s, 'LOLWUT', 'VERSION', '5', '10', '2', '3') as Verbatim).value
    const lines = five.split('\n')
    expect(lines.at(-2)).toBe('Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.2.4')
    // 10 columns of braille characters per canvas row.
    expect([...lines[0]!]).toHaveLength(10)
    expect([...lines[0]!].every((ch) => ch.charCodeAt(0) >= 0x2800 && ch.charCodeAt(0) <= 0x28ff)).toBe(true)
    const six = (run(s, 'LOLWUT', 'VERSION', '6', '12', '4') as Verbatim).value.split('\n')
    expect(six).toHaveLength(4 + 3)
    expect(six[0]!.match(/\x1b\[0;\d+;\d+m \x1b\[0m/g)).toHaveLength(12)
    expect(six[5]).toBe('Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.2.4')
    // Versions wrap as a C unsigned int: 2^32 + 5 is version 5.
    expect((run(s, 'LOLWUT', 'VERSION', '4294967301') as Verbatim).value).toMatch(/Georg Nees/)
    expect(errorOf(s, 'LOLWUT', 'VERSION', '5', 'x')).toBe('ERR value is not an integer or out of range')
  })
})

describe('ROLE, WAIT, WAITAOF', () => {
  it('is a master without replicas', () => {
    const s = fresh().session()
    expect(run(s, 'ROLE')).toEqual(['master', 0, []])
    expect(run(s, 'WAIT', '0', '0')).toBe(0)
  })

  it('waits out the timeout when replicas are asked for, following the store clock', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const st = fresh({ clock })
    const s = st.session()
    const p = run(s, 'WAIT', '1', '100') as unknown as Promise<Reply>
    expect(p).toBeInstanceOf(Promise)
    let done: Reply | undefined
    void p.then((r) => (done = r))
    clock.advance(99)
    await Promise.resolve()
    expect(done).toBeUndefined()
    clock.advance(1)
    expect(await p).toBe(0)
    // Inside MULTI nothing blocks.
    run(s, 'MULTI')
    run(s, 'WAIT', '3', '0')
    expect(run(s, 'EXEC')).toEqual([0])
    // WAIT with no timeout waits until the client is unblocked.
    const forever = run(s, 'WAIT', '1', '0') as unknown as Promise<Reply>
    expect(run(st.session(), 'CLIENT', 'UNBLOCK', String(s.id))).toBe(1)
    expect(await forever).toBe(0)
  })

  it('WAITAOF needs an append-only file for numlocal, and flushes it', async () => {
    const s = fresh().session()
    expect(run(s, 'WAITAOF', '0', '0', '0')).toEqual([0, 0])
    expect(errorOf(s, 'WAITAOF', '1', '0', '0')).toBe('ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.')
    expect(errorOf(s, 'WAITAOF', '2', '0', '0')).toBe('ERR value is out of range, value must between 0 and 1')
    expect(errorOf(s, 'WAITAOF', '0', 'x', '0')).toBe('ERR value is out of range, must be positive')
    expect(errorOf(s, 'WAITAOF', '0', '0', '-1')).toBe('ERR timeout is negative')

    const st = fresh()
    let flushes = 0
    attachPersistence(st, { name: 'aof', flush: () => void flushes++ })
    const r = run(st.session(), 'WAITAOF', '1', '0', '0')
    expect(await r).toEqual([1, 0])
    expect(flushes).toBe(1)
  })
})

describe('replication, MODULE, MIGRATE, RESTORE-ASKING, CLUSTER', () => {
  it('accepts REPLICAOF NO ONE only', () => {
    const s = fresh().session()
    expect(run(s, 'REPLICAOF', 'no', 'one')).toEqual(new Status('OK'))
    expect(run(s, 'SLAVEOF', 'NO', 'ONE')).toEqual(new Status('OK'))
    expect(errorOf(s, 'REPLICAOF', 'h', '70000')).toBe('ERR Invalid master port')
    expect(errorOf(s, 'REPLICAOF', 'h', '6379')).toMatch(/^ERR embedis does not replicate/)
    expect(errorOf(s, 'FAILOVER')).toBe('ERR FAILOVER requires connected replicas.')
    expect(errorOf(s, 'FAILOVER', 'ABORT')).toBe('ERR No failover in progress.')
    expect(errorOf(s, 'SYNC')).toMatch(/SYNC and PSYNC are not supported/)
    expect(errorOf(s, 'PSYNC', '?', '-1')).toMatch(/SYNC and PSYNC are not supported/)
  })

  it('REPLCONF accepts the handshake and sends nothing for ACK / GETACK', () => {
    const s = fresh().session()
    expect(run(s, 'REPLCONF', 'listening-port', '6380', 'capa', 'psync2')).toEqual(new Status('OK'))
    const r = s.execute(['REPLCONF', 'ACK', '100']) as unknown
    expect(r).toBeInstanceOf(Replies)
    expect((r as Replies).list).toEqual([])
    expect(errorOf(s, 'REPLCONF', 'foo', 'bar')).toBe('ERR Unrecognized REPLCONF option: foo')
  })

  it('has no modules', () => {
    const st = fresh()
    const s = st.session()
    expect(run(s, 'MODULE', 'LIST')).toEqual([])
    expect(errorOf(s, 'MODULE', 'LOAD', '/x.so')).toMatch(/^ERR MODULE command not allowed\. If the enable-module-command option/)
    st.ks.config.put('enable-module-command', 'yes')
    expect(errorOf(s, 'MODULE', 'LOAD', '/x.so')).toBe('ERR Error loading the extension. Please check the server logs.')
    expect(errorOf(s, 'MODULE', 'UNLOAD', 'x')).toBe('ERR Error unloading module: no such module with that name')
  })

  it('MIGRATE answers NOKEY for missing keys and refuses to connect otherwise', () => {
    const s = fresh().session()
    expect(run(s, 'MIGRATE', 'h', '1', 'k', '0', '10')).toEqual(new Status('NOKEY'))
    run(s, 'SET', 'b', '1')
    expect(errorOf(s, 'MIGRATE', 'h', '1', '', '0', '10', 'KEYS', 'a', 'b')).toMatch(/^ERR MIGRATE is not supported/)
    expect(run(s, 'EXISTS', 'b')).toBe(1)
    expect(run(s, 'COMMAND', 'GETKEYS', 'MIGRATE', 'h', '1', '', '0', '10', 'COPY', 'KEYS', 'a', 'b')).toEqual(['a', 'b'])
  })

  it('RESTORE-ASKING restores like RESTORE', () => {
    const s = fresh().session()
    run(s, 'RPUSH', 'l', 'x', 'y')
    const payload = run(s, 'DUMP', 'l') as Buffer
    expect(run(s, 'RESTORE-ASKING', 'l2', '0', payload)).toEqual(new Status('OK'))
    expect(run(s, 'LRANGE', 'l2', '0', '-1')).toEqual(['x', 'y'])
    expect(errorOf(s, 'RESTORE-ASKING', 'l2', '0', payload)).toBe('BUSYKEY Target key name already exists.')
  })

  it('refuses every cluster command on a standalone store', () => {
    const s = fresh().session()
    for (const argv of [['CLUSTER', 'INFO'], ['CLUSTER', 'KEYSLOT', 'k'], ['CLUSTER', 'HELP'], ['ASKING'], ['READONLY'], ['READWRITE']]) {
      expect(errorOf(s, ...argv)).toBe('ERR This instance has cluster support disabled')
    }
    expect(errorOf(s, 'CLUSTER', 'nosuch')).toBe("ERR unknown subcommand 'nosuch'. Try CLUSTER HELP.")
  })
})
