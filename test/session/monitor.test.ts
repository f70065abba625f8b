import { connect, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { ManualClock, Store } from '../../src/index.js'
import { Replies, type Reply, Status } from '../../src/core/reply.js'
import { formatLine, quoteArg, type MonitorEvent } from '../../src/keyspace/monitor.js'
import { Redis } from '../../src/ioredis/index.js'
import { lua } from '../../src/scripting/index.js'
import { createServer } from '../../src/server/index.js'
import type { Session } from '../../src/session.js'
import { useServerAndStore } from '../helpers/store.js'
import { until } from '../helpers/wait.js'

const live = useServerAndStore()

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

/** A session in MONITOR mode whose lines are collected (without their timestamps). */
function monitor(s: Session): string[] {
  const lines: string[] = []
  s.out = (r: Reply) => {
    expect(r).toBeInstanceOf(Status)
    lines.push((r as Status).value.replace(/^\d+\.\d{6} /, ''))
  }
  expect(s.execute(['MONITOR'])).toEqual(new Status('OK'))
  return lines
}

describe('MONITOR line format (sdscatrepr)', () => {
  it('quotes printable ASCII as is and escapes the rest as Redis does', () => {
    expect(quoteArg('set')).toBe('"set"')
    expect(quoteArg('')).toBe('""')
    expect(quoteArg('a b"c\\d')).toBe('"a b\\"c\\\\d"')
    expect(quoteArg('\n\r\t\x07\x08')).toBe('"\\n\\r\\t\\a\\b"')
    expect(quoteArg(Buffer.from([0, 0x1f, 0x7f, 0x80, 0xff, 0x41]))).toBe('"\\x00\\x1f\\x7f\\x80\\xffA"')
    // Strings are their UTF-8 bytes.
    expect(quoteArg('é')).toBe('"\\xc3\\xa9"')
    expect(quoteArg(Buffer.from('~ok}'))).toBe('"~ok}"')
  })

  it('prints seconds, six digits of microseconds, the database and the source', () => {
    expect(formatLine(1700000000_000042, 3, '127.0.0.1:5000', ['GET', 'k'])).toBe('1700000000.000042 [3 127.0.0.1:5000] "GET" "k"')
    expect(formatLine(1700000000_123456, 0, 'lua', ['ping'])).toBe('1700000000.123456 [0 lua] "ping"')
  })
})

describe('MONITOR on sessions', () => {
  it('shows each command after it ran, with the database it left selected', () => {
    live.store = new Store()
    const m = live.store.session()
    const lines = monitor(m)
    const c = live.store.session()
    c.execute(['SET', 'k', 'a b"c'])
    c.execute(['SELECT', '2'])
    c.execute(['SET', 'x', Buffer.from([0xff, 0x0a])])
    c.execute(['INCR', 'x']) // fails while running: still shown
    c.execute(['NOSUCH', 'a']) // refused before running: not shown
    c.execute(['GET']) // wrong arity: not shown
    c.execute(['CONFIG', 'GET', 'maxmemory']) // admin: not shown
    c.execute(['CLIENT', 'LIST']) // admin
    c.execute(['CLIENT', 'ID']) // not admin
    c.execute(['SAVE'])
    c.execute(['SLOWLOG', 'LEN'])
    const src = `inproc:${c.id}`
    expect(lines).toEqual([
      `[0 ${src}] "SET" "k" "a b\\"c"`,
      `[2 ${src}] "SELECT" "2"`,
      `[2 ${src}] "SET" "x" "\\xff\\n"`,
      `[2 ${src}] "INCR" "x"`,
      `[2 ${src}] "CLIENT" "ID"`,
    ])
  })

  it('redacts passwords as Redis does, only where the command got to them', () => {
    live.store = new Store()
    const lines = monitor(live.store.session())
    const c = live.store.session()
    c.execute(['AUTH', 'secret'])
    c.execute(['AUTH', 'user', 'secret'])
    c.execute(['AUTH', 'a', 'b', 'c']) // syntax error before AUTH looks at the password
    c.execute(['HELLO', '3', 'SETNAME', 'n', 'AUTH', 'default', 'pw'])
    c.execute(['HELLO', '2', 'AUTH', 'default', 'pw', 'BAR'])
    c.execute(['HELLO', '4', 'AUTH', 'u', 'p']) // refused version: nothing redacted
    c.execute(['HELLO', '2', 'AUTH', 'u'])
    const src = `inproc:${c.id}`
    expect(lines).toEqual([
      `[0 ${src}] "AUTH" "(redacted)"`,
      `[0 ${src}] "AUTH" "(redacted)" "(redacted)"`,
      `[0 ${src}] "AUTH" "a" "b" "c"`,
      `[0 ${src}] "HELLO" "3" "SETNAME" "n" "AUTH" "(redacted)" "(redacted)"`,
      `[0 ${src}] "HELLO" "2" "AUTH" "(redacted)" "(redacted)" "BAR"`,
      `[0 ${src}] "HELLO" "4" "AUTH" "u" "p"`,
      `[0 ${src}] "HELLO" "2" "AUTH" "u"`,
    ])
  })

  it("shows a transaction's commands when EXEC runs them, before the EXEC", () => {
    live.store = new Store()
    const lines = monitor(live.store.session())
    const c = live.store.session()
    c.execute(['MULTI'])
    c.execute(['SET', 'a', '1'])
    c.execute(['INCR', 'a'])
    expect(lines).toEqual([`[0 inproc:${c.id}] "MULTI"`])
    c.execute(['EXEC'])
    c.execute(['MULTI'])
    c.execute(['NOSUCH'])
    c.execute(['EXEC']) // EXECABORT: still a command that ran
    const src = `inproc:${c.id}`
    expect(lines.slice(1)).toEqual([`[0 ${src}] "SET" "a" "1"`, `[0 ${src}] "INCR" "a"`, `[0 ${src}] "EXEC"`, `[0 ${src}] "MULTI"`, `[0 ${src}] "EXEC"`])
  })

  it('shows EVAL before the commands of its script, which show as lua', () => {
    live.store = new Store({ scripting: lua() })
    const lines = monitor(live.store.session())
    const c = live.store.session()
    c.execute(['EVAL', "redis.call('set', KEYS[1], '1'); redis.call('select', '2'); return redis.call('get', KEYS[1])", '1', 'k'])
    c.execute(['EVAL', 'return 1', 'x']) // fails at numkeys, after being shown
    const src = `inproc:${c.id}`
    expect(lines).toEqual([
      `[0 ${src}] "EVAL" "redis.call('set', KEYS[1], '1'); redis.call('select', '2'); return redis.call('get', KEYS[1])" "1" "k"`,
      `[0 lua] "set" "k" "1"`,
      `[2 lua] "select" "2"`,
      `[2 lua] "get" "k"`,
      `[0 ${src}] "EVAL" "return 1" "x"`,
    ])
  })

  it('a monitoring session sees its own commands, may not touch the keyspace, and RESET ends it', () => {
    live.store = new Store({ scripting: lua() })
    const m = live.store.session()
    const lines = monitor(m)
    expect(m.execute(['PING'])).toEqual(new Status('PONG'))
    const refused = "ERR Replica can't interact with the keyspace"
    for (const argv of [['GET', 'k'], ['SET', 'k', 'v'], ['DBSIZE'], ['PUBLISH', 'c', 'm'], ['EVAL', 'return 1', '0'], ['EVAL_RO', 'return 1', '0']]) {
      expect((m.execute(argv) as Error).message).toBe(refused)
    }
    // A script declaring no-writes touches nothing: allowed (a cached one through EVALSHA too).
    expect(m.execute(['EVAL', '#!lua flags=no-writes\nreturn 1', '0'])).toBe(1)
    const sha = live.store.scriptLoad('#!lua flags=no-writes\nreturn 2')
    expect(m.execute(['EVALSHA', sha, '0'])).toBe(2)
    const rw = live.store.scriptLoad('return 3')
    expect((m.execute(['EVALSHA', rw, '0']) as Error).message).toBe(refused)
    // MONITOR again: ignored, without a reply.
    const again = m.execute(['MONITOR'])
    expect(again).toBeInstanceOf(Replies)
    expect((again as unknown as Replies).list).toEqual([])
    // Refused inside a transaction, as in Redis (the keyspace check comes first).
    expect(m.execute(['MULTI'])).toEqual(new Status('OK'))
    expect((m.execute(['GET', 'k']) as Error).message).toBe(refused)
    expect((m.execute(['EXEC']) as Error).message).toBe('EXECABORT Transaction discarded because of previous errors.')
    expect(lines).toEqual([
      `[0 inproc:${m.id}] "PING"`,
      `[0 inproc:${m.id}] "EVAL" "#!lua flags=no-writes\\nreturn 1" "0"`,
      `[0 inproc:${m.id}] "EVALSHA" "${sha}" "0"`,
      `[0 inproc:${m.id}] "MULTI"`,
      `[0 inproc:${m.id}] "EXEC"`,
    ])
    expect(live.store.monitors?.sessions.has(m)).toBe(true)
    expect(m.execute(['RESET'])).toEqual(new Status('RESET'))
    expect(live.store.monitors).toBeUndefined()
    expect(m.execute(['SET', 'k', 'v'])).toEqual(new Status('OK'))
    expect(lines.length).toBe(5)
  })

  it('is refused inside EXEC and on the store’s own session; a closed session stops monitoring', () => {
    live.store = new Store()
    const c = live.store.session()
    c.execute(['MULTI'])
    c.execute(['MONITOR'])
    const r = c.execute(['EXEC']) as unknown[]
    expect((r[0] as Error).message).toBe("ERR MONITOR isn't allowed for DENY BLOCKING client")
    expect(() => live.store!.call('MONITOR')).toThrow('MONITOR needs a session of its own')
    const m = live.store.session()
    monitor(m)
    expect(live.store.call('CLIENT', 'LIST')).toMatch(new RegExp(`id=${m.id} .* flags=O `))
    m.close()
    expect(live.store.monitors).toBeUndefined()
  })

  it('uses the store clock for timestamps', () => {
    const clock = new ManualClock(1700000000123)
    live.store = new Store({ clock })
    const m = live.store.session()
    const raw: string[] = []
    m.out = (r) => raw.push((r as Status).value)
    m.execute(['MONITOR'])
    live.store.call('PING')
    expect(raw).toEqual([`1700000000.123000 [0 inproc:${live.store.s.id}] "PING"`])
  })
})

describe('store.monitor()', () => {
  it('calls listeners after the command with the event and its line; stops when told', async () => {
    const clock = new ManualClock(1700000000000)
    live.store = new Store({ clock })
    const events: MonitorEvent[] = []
    const stop = live.store.monitor((e) => events.push(e))
    expect(live.store.monitors).toBeDefined()
    live.store.call('SET', 'k', Buffer.from([1, 2]))
    live.store.set('typed', 'v') // typed methods are no commands on the wire
    const s = live.store.session()
    s.execute(['SELECT', '1'])
    expect(events).toEqual([]) // never in the middle of a command
    await tick()
    expect(events.map((e) => e.line)).toEqual([
      `1700000000.000000 [0 inproc:${live.store.s.id}] "SET" "k" "\\x01\\x02"`,
      `1700000000.000000 [1 inproc:${s.id}] "SELECT" "1"`,
    ])
    const e = events[0]!
    expect(e.time).toBe(1700000000_000000)
    expect(e.db).toBe(0)
    expect(e.clientId).toBe(live.store.s.id)
    expect(e.source).toBe(`inproc:${live.store.s.id}`)
    expect(e.args).toEqual(['SET', 'k', Buffer.from([1, 2])])
    expect(String(e)).toBe(e.line)
    stop()
    stop()
    expect(live.store.monitors).toBeUndefined()
    live.store.call('PING')
    await tick()
    expect(events.length).toBe(2)
  })

  it('a listener added later gets nothing from before; one that throws does not keep the others from theirs', async () => {
    live.store = new Store()
    const a: string[] = []
    const b: string[] = []
    const offA = live.store.monitor((e) => a.push(String(e.args[0])))
    live.store.call('ECHO', 'first')
    const offB = live.store.monitor((e) => {
      b.push(String(e.args[0]))
      throw new Error('listener failed')
    })
    live.store.call('PING')
    const caught = new Promise<unknown>((resolve) => {
      const h = (err: unknown): void => {
        process.off('uncaughtException', h)
        resolve(err)
      }
      process.on('uncaughtException', h)
    })
    expect(((await caught) as Error).message).toBe('listener failed')
    expect(a).toEqual(['ECHO', 'PING'])
    expect(b).toEqual(['PING'])
    offA()
    offB()
  })
})

/** A raw connection: everything the server sends, as text. */
async function rawConn(port: number): Promise<{ socket: Socket; text: () => string; closed: () => boolean; send: (...argv: string[]) => void; until: (re: RegExp) => Promise<void> }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  let buf = ''
  let closed = false
  socket.on('data', (d: Buffer) => (buf += d.toString('latin1')))
  socket.on('close', () => (closed = true))
  return {
    socket,
    text: () => buf,
    closed: () => closed,
    send: (...argv) => socket.write(`*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')),
    until: async (re) => {
      await until(() => re.test(buf) || closed, 3000)
      expect(buf).toMatch(re)
    },
  }
}

describe('MONITOR over the RESP server', () => {
  it('streams status lines with client addresses, in RESP2 and RESP3 alike', async () => {
    live.store = new Store()
    live.server = createServer({ store: live.store, port: 0 })
    const { port } = await live.server.listen()
    const m2 = await rawConn(port)
    m2.send('MONITOR')
    await m2.until(/^\+OK\r\n$/)
    const m3 = await rawConn(port)
    m3.send('HELLO', '3')
    await m3.until(/proto/)
    m3.send('MONITOR')
    await m3.until(/\+OK\r\n$/)
    // The RESP2 monitor saw the HELLO (MONITOR itself is an admin command: not shown).
    await m2.until(/^\+OK\r\n\+\d+\.\d{6} \[0 [\d.:]+\] "HELLO" "3"\r\n$/)
    const c = await rawConn(port)
    c.send('SET', 'k', 'v')
    await c.until(/^\+OK\r\n$/)
    const addr = `127.0.0.1:${c.socket.localPort}`
    const line = new RegExp(`\\+\\d{10}\\.\\d{6} \\[0 ${addr.replace(/\./g, '\\.')}\\] "SET" "k" "v"\\r\\n$`)
    await m2.until(line)
    await m3.until(line)
    // RESP3 gets the same status line, not a push.
    expect(m3.text()).toMatch(new RegExp(`\\+OK\\r\\n${line.source}`))
    // The monitor's own commands come after their replies; its QUIT gets no line.
    m2.send('PING')
    await m2.until(/\+PONG\r\n\+\d+\.\d+ \[0 [\d.:]+\] "PING"\r\n$/)
    m2.send('QUIT')
    await m2.until(/\+OK\r\n$/)
    await new Promise((r) => setTimeout(r, 50))
    expect(m2.closed()).toBe(true)
    expect(m2.text()).toMatch(/"PING"\r\n\+OK\r\n$/)
    m3.socket.destroy()
    await new Promise((r) => setTimeout(r, 50))
    expect(live.store.monitors).toBeUndefined()
    c.socket.destroy()
  })
})

describe('MONITOR through the ioredis drop-in', () => {
  it("ioredis's monitor() parses the lines", async () => {
    live.store = new Store()
    const r = new Redis({ store: live.store })
    // The client's own connection handshake (CLIENT SETINFO, INFO) is done before monitoring starts.
    await r.ping()
    const mon = await r.monitor()
    const got: unknown[] = []
    mon.on('monitor', (time: string, args: string[], source: string, db: string) => got.push([/^\d+\.\d{6}$/.test(time), args, source, db]))
    await r.set('k', 'a "b"')
    await r.select(3)
    await r.get('k')
    await until(() => got.length >= 3)
    const src = (got[0] as unknown[])[2]
    expect(src).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(got).toEqual([
      [true, ['set', 'k', 'a "b"'], src, '0'],
      [true, ['select', '3'], src, '3'],
      [true, ['get', 'k'], src, '3'],
    ])
    mon.disconnect()
    r.disconnect()
  })
})
