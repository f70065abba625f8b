import { performance } from 'node:perf_hooks'
import process from 'node:process'
import { E, fail, syntaxError } from '../core/errors.js'
import { compileGlob } from '../core/glob.js'
import { string2ll } from '../core/numbers.js'
import { MapReply, OK, PONG, SetReply, Status, Verbatim, type Reply } from '../core/reply.js'
import type { Session } from '../session.js'
import { kw, str } from './args.js'
import { docsTable } from './docs.generated.js'
import type { CommandMeta } from './meta.js'
import { CF, defineCommand, helpReply, lower, TABLE, type Arg, type Command } from './table.js'
import { memoryInfo } from './memory.js'
import { commandKeysAndFlags, KEY_FLAG_ORDER } from './admin.js'

/** The Redis version INFO and HELLO report (libraries check it). */
export const REDIS_VERSION = '7.2.4'

// ---------------------------------------------------------------- connection basics

export const PING = defineCommand('ping', {
  parse(a): Arg | undefined {
    if (a.length > 1) fail("wrong number of arguments for 'ping' command")
    return a[0]
  },
  run: (_ctx, msg: Arg | undefined): Reply => (msg === undefined ? PONG : msg),
})

export const ECHO = defineCommand('echo', { parse: (a) => a[0]!, run: (_ctx, msg: Arg): Reply => msg })

function dbIndex(a: Arg, ctx: Session, msg: string): number {
  const n = string2ll(str(a))
  if (n === undefined || typeof n === 'bigint' || n < -2147483648 || n > 2147483647) fail(E.NOT_INTEGER)
  if (n < 0 || n >= ctx.ks.dbs.length) fail(msg)
  return n
}

export const SELECT = defineCommand('select', {
  parse: (a, ctx) => dbIndex(a[0]!, ctx, E.DB_INDEX),
  run(ctx, n: number): Reply {
    ctx.select(n)
    return OK
  },
})

export const SWAPDB = defineCommand('swapdb', {
  parse(a, ctx): [number, number] {
    const first = string2ll(str(a[0]!))
    if (first === undefined || typeof first === 'bigint' || first > 2147483647 || first < -2147483648) fail('invalid first DB index')
    const second = string2ll(str(a[1]!))
    if (second === undefined || typeof second === 'bigint' || second > 2147483647 || second < -2147483648) fail('invalid second DB index')
    if (first < 0 || first >= ctx.ks.dbs.length || second < 0 || second >= ctx.ks.dbs.length) fail(E.DB_INDEX)
    return [first, second]
  },
  run(ctx, [a, b]: [number, number]): Reply {
    if (a === b) return OK
    const ks = ctx.ks
    const da = ks.dbs[a]!
    const db = ks.dbs[b]!
    da.touchAllWatched(db)
    db.touchAllWatched(da)
    da.swapWith(db)
    ctx.store.afterSwapDb(da, db)
    if (ks.fx) ks.emit(ctx.db.id, ['SWAPDB', String(a), String(b)])
    return OK
  },
})

export const DBSIZE = defineCommand('dbsize', { parse: () => undefined, run: (ctx): Reply => ctx.db.size })

function parseFlushMode(a: Arg[]): boolean {
  if (a.length > 1) syntaxError()
  if (a.length === 1) {
    const m = kw(a[0]!)
    if (m !== 'ASYNC' && m !== 'SYNC') syntaxError()
  }
  return true
}

export const FLUSHDB = defineCommand('flushdb', {
  parse: parseFlushMode,
  run(ctx): Reply {
    ctx.db.flush()
    if (ctx.ks.fx) ctx.effect('FLUSHDB')
    return OK
  },
})

export const FLUSHALL = defineCommand('flushall', {
  parse: parseFlushMode,
  run(ctx): Reply {
    for (const db of ctx.ks.dbs) db.flush()
    if (ctx.ks.fx) ctx.effect('FLUSHALL')
    return OK
  },
})

export const TIME = defineCommand('time', {
  parse: () => undefined,
  run(ctx): Reply {
    const ms = ctx.ks.clock.now()
    const sec = Math.floor(ms / 1000)
    // Sub-millisecond digits come from the high-resolution timer so successive calls still move.
    const usec = Math.floor((ms - sec * 1000) * 1000 + ((performance.now() * 1000) % 1000))
    return [String(sec), String(Math.min(usec, 999999))]
  },
})

// ---------------------------------------------------------------- CONFIG

export const CONFIG_GET = defineCommand('config|get', {
  parse: (a) => a.map(str),
  run(ctx, patterns: string[]): Reply {
    return new MapReply(ctx.ks.config.getMatching(patterns, (p) => compileGlob(p, true)).flat())
  },
})

export const CONFIG_SET = defineCommand('config|set', {
  parse(a): Array<[string, string]> {
    // Fewer than one pair is an arity error (from the table); a name without its value, a syntax error.
    if (a.length % 2 !== 0) syntaxError()
    const pairs: Array<[string, string]> = []
    for (let i = 0; i < a.length; i += 2) pairs.push([str(a[i]!), str(a[i + 1]!)])
    return pairs
  },
  run(ctx, pairs: Array<[string, string]>): Reply {
    ctx.ks.config.setMany(pairs)
    return OK
  },
})

export const CONFIG_RESETSTAT = defineCommand('config|resetstat', {
  parse: () => undefined,
  run(ctx): Reply {
    const st = ctx.ks.stats
    st.keyspaceHits = st.keyspaceMisses = st.expiredKeys = st.evictedKeys = 0
    st.commandsProcessed = st.connectionsReceived = 0
    st.expireCycleCpuMs = 0
    st.commands.clear()
    st.byId.length = 0
    st.errorReplies = 0
    st.errors.clear()
    st.netInputBytes = st.netOutputBytes = st.readsProcessed = st.writesProcessed = 0
    return OK
  },
})

defineCommand('config|rewrite', {
  parse: () => undefined,
  run: () => fail('The server is running without a config file'),
})

defineCommand('config|help', {
  parse: () => undefined,
  run: () =>
    helpReply('CONFIG', [
      'GET <pattern>',
      '    Return parameters matching the glob-like <pattern> and their values.',
      'SET <directive> <value>',
      '    Set the configuration <directive> to <value>.',
      'RESETSTAT',
      '    Reset statistics reported by the INFO command.',
      'REWRITE',
      '    Rewrite the configuration file.',
    ]),
})

// ---------------------------------------------------------------- INFO

/** A section of INFO: its fields, computed when asked. Other modules add sections here. */
export type InfoSection = (ctx: Session) => Array<[string, string | number]>
export const INFO_SECTIONS = new Map<string, InfoSection>()
/** Sections printed by `INFO` / `INFO default`, in order. */
export const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace']
const ALL_EXTRA = ['commandstats', 'latencystats']

INFO_SECTIONS.set('server', (ctx) => {
  const now = ctx.ks.clock.now()
  const up = Math.floor((now - ctx.ks.stats.startTime) / 1000)
  return [
    ['redis_version', ctx.store.redisVersion],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', '0'],
    ['redis_mode', 'standalone'],
    ['os', `${typeof process !== 'undefined' ? process.platform : 'js'} embedis`],
    ['arch_bits', 64],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', 'embedis'],
    ['gcc_version', '0.0.0'],
    ['process_id', typeof process !== 'undefined' ? process.pid : 0],
    ['process_supervised', 'no'],
    ['run_id', ctx.store.runId],
    ['tcp_port', ctx.store.port],
    ['server_time_usec', now * 1000],
    ['uptime_in_seconds', up],
    ['uptime_in_days', Math.floor(up / 86400)],
    ['hz', ctx.ks.config.get<number>('hz')],
    ['configured_hz', ctx.ks.config.get<number>('hz')],
    ['lru_clock', Math.floor(now / 1000) & 0xffffff],
    ['executable', ''],
    ['config_file', ''],
    ['io_threads_active', 0],
  ]
})

INFO_SECTIONS.set('clients', (ctx) => {
  let pubsub = 0
  let watching = 0
  for (const s of ctx.store.sessions) {
    if (s.subscriptionCount + s.shardCount > 0) pubsub++
    if (s.watching !== null && s.watching.length > 0) watching++
  }
  let watchedKeys = 0
  for (const db of ctx.ks.dbs) watchedKeys += db.watched?.size ?? 0
  return [
    ['connected_clients', ctx.store.connectedClients()],
    ['cluster_connections', 0],
    ['maxclients', 10000],
    ['client_recent_max_input_buffer', 0],
    ['client_recent_max_output_buffer', 0],
    ['blocked_clients', ctx.store.blockedClients()],
    ['tracking_clients', ctx.ks.tracking?.clients.size ?? 0],
    ['pubsub_clients', pubsub],
    ['watching_clients', watching],
    ['clients_in_timeout_table', 0],
    ['total_watched_keys', watchedKeys],
    ['total_blocking_keys', 0],
    ['total_blocking_keys_on_nokey', 0],
  ]
})

// Estimated dataset bytes, limits and policy (src/commands/memory.ts).
INFO_SECTIONS.set('memory', memoryInfo)

// INFO persistence: src/commands/persistence.ts.

INFO_SECTIONS.set('stats', (ctx) => {
  const st = ctx.ks.stats
  let pubsubChannels = 0
  let pubsubPatterns = 0
  const ps = ctx.store.pubsubCounts()
  pubsubChannels = ps[0]
  pubsubPatterns = ps[1]
  return [
    ['total_connections_received', st.connectionsReceived],
    ['total_commands_processed', st.commandsProcessed],
    ['instantaneous_ops_per_sec', 0],
    ['total_net_input_bytes', st.netInputBytes],
    ['total_net_output_bytes', st.netOutputBytes],
    ['total_net_repl_input_bytes', 0],
    ['total_net_repl_output_bytes', 0],
    ['instantaneous_input_kbps', '0.00'],
    ['instantaneous_output_kbps', '0.00'],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', 0],
    ['sync_full', 0],
    ['sync_partial_ok', 0],
    ['sync_partial_err', 0],
    ['expired_keys', st.expiredKeys],
    ['expired_stale_perc', '0.00'],
    ['expired_time_cap_reached_count', 0],
    ['expire_cycle_cpu_milliseconds', Math.round(st.expireCycleCpuMs)],
    ['evicted_keys', st.evictedKeys],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', ctx.store.memory.exceededMs + ctx.store.memory.currentExceededMs()],
    ['current_eviction_exceeded_time', ctx.store.memory.currentExceededMs()],
    ['keyspace_hits', st.keyspaceHits],
    ['keyspace_misses', st.keyspaceMisses],
    ['pubsub_channels', pubsubChannels],
    ['pubsub_patterns', pubsubPatterns],
    ['pubsubshard_channels', 0],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', ctx.ks.tracking?.table.size ?? 0],
    ['tracking_total_items', ctx.ks.tracking?.items ?? 0],
    ['tracking_total_prefixes', ctx.ks.tracking?.prefixes.size ?? 0],
    ['unexpected_error_replies', 0],
    ['total_error_replies', st.errorReplies],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', st.readsProcessed],
    ['total_writes_processed', st.writesProcessed],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['client_query_buffer_limit_disconnections', 0],
    ['client_output_buffer_limit_disconnections', 0],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
    ['eventloop_cycles', 0],
    ['eventloop_duration_sum', 0],
    ['eventloop_duration_cmd_sum', 0],
    ['instantaneous_eventloop_cycles_per_sec', 0],
    ['instantaneous_eventloop_duration_usec', 0],
    ['acl_access_denied_auth', 0],
    ['acl_access_denied_cmd', 0],
    ['acl_access_denied_key', 0],
    ['acl_access_denied_channel', 0],
  ]
})

INFO_SECTIONS.set('replication', () => [
  ['role', 'master'],
  ['connected_slaves', 0],
  ['replicas_waiting_psync', 0],
  ['master_failover_state', 'no-failover'],
  ['master_replid', '0000000000000000000000000000000000000000'],
  ['master_replid2', '0000000000000000000000000000000000000000'],
  ['master_repl_offset', 0],
  ['second_repl_offset', -1],
  ['repl_backlog_active', 0],
  ['repl_backlog_size', 1048576],
  ['repl_backlog_first_byte_offset', 0],
  ['repl_backlog_histlen', 0],
])

INFO_SECTIONS.set('cpu', () => {
  const u = typeof process !== 'undefined' && process.cpuUsage ? process.cpuUsage() : { user: 0, system: 0 }
  // One process: its main thread is where the Store runs, and it has no children (no fork).
  return [
    ['used_cpu_sys', (u.system / 1e6).toFixed(6)],
    ['used_cpu_user', (u.user / 1e6).toFixed(6)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', (u.system / 1e6).toFixed(6)],
    ['used_cpu_user_main_thread', (u.user / 1e6).toFixed(6)],
  ]
})

INFO_SECTIONS.set('modules', () => [])
INFO_SECTIONS.set('errorstats', (ctx) => [...ctx.ks.stats.errors].map(([prefix, n]) => [`errorstat_${prefix}`, `count=${n}`]))
INFO_SECTIONS.set('cluster', () => [['cluster_enabled', 0]])

INFO_SECTIONS.set('keyspace', (ctx) => {
  const out: Array<[string, string]> = []
  const now = ctx.ks.now()
  for (const db of ctx.ks.dbs) {
    if (db.size === 0) continue
    let sum = 0
    let n = 0
    // avg_ttl is an estimate in Redis too: sample up to 100 keys with a TTL.
    for (const k of db.volatile) {
      const e = db.map.get(k)
      if (e !== undefined && e.expire > now) {
        sum += e.expire - now
        n++
      }
      if (n >= 100) break
    }
    out.push([`db${db.id}`, `keys=${db.size},expires=${db.volatile.size},avg_ttl=${n ? Math.round(sum / n) : 0}`])
  }
  return out
})

INFO_SECTIONS.set('commandstats', (ctx) =>
  [...ctx.ks.stats.commands].map(([name, s]) => [
    `cmdstat_${name}`,
    `calls=${s.calls},usec=${s.usec},usec_per_call=${s.calls ? (s.usec / s.calls).toFixed(2) : '0.00'},rejected_calls=${s.rejected},failed_calls=${s.failed}`,
  ]),
)
INFO_SECTIONS.set('latencystats', () => [])

const SECTION_TITLES: Record<string, string> = { cpu: 'CPU', commandstats: 'Commandstats', errorstats: 'Errorstats', latencystats: 'Latencystats' }

/** Builds the INFO text for the requested sections (Redis's rules for `default`, `all`, `everything`). */
export function infoText(ctx: Session, requested: string[]): string {
  let names: string[]
  if (requested.length === 0) names = DEFAULT_SECTIONS
  else {
    const set = new Set<string>()
    for (const r of requested) {
      if (r === 'default') DEFAULT_SECTIONS.forEach((s) => set.add(s))
      else if (r === 'all' || r === 'everything') [...DEFAULT_SECTIONS, ...ALL_EXTRA].forEach((s) => set.add(s))
      else set.add(r)
    }
    names = [...DEFAULT_SECTIONS, ...ALL_EXTRA, ...INFO_SECTIONS.keys()].filter((s, i, arr) => set.has(s) && arr.indexOf(s) === i)
  }
  const parts: string[] = []
  for (const name of names) {
    const fn = INFO_SECTIONS.get(name)
    if (!fn) continue
    const title = SECTION_TITLES[name] ?? name[0]!.toUpperCase() + name.slice(1)
    const lines = fn(ctx).map(([k, v]) => `${k}:${v}`)
    parts.push(`# ${title}\r\n` + lines.map((l) => l + '\r\n').join(''))
  }
  return parts.join('\r\n')
}

export const INFO = defineCommand('info', {
  parse: (a) => a.map((x) => str(x).toLowerCase()),
  run: (ctx, sections: string[]): Reply => new Verbatim(infoText(ctx, sections)),
})

// ---------------------------------------------------------------- COMMAND

function flagReplies(m: CommandMeta, cmd: Command | undefined): Reply[] {
  const flags = m.flags.map((f) => new Status(f))
  if (cmd && cmd.flags & CF.MOVABLEKEYS && !m.flags.includes('movablekeys')) flags.push(new Status('movablekeys'))
  return flags
}

/** One key spec in COMMAND INFO's shape (Redis's addReplyCommandKeySpecs): the metadata's field names differ. */
function keySpecReply(spec: any): Reply {
  const out: Reply[] = spec.notes !== undefined ? ['notes', String(spec.notes)] : []
  // In Redis's order, not the metadata's (BITFIELD's is RW UPDATE ACCESS; Redis prints RW access update).
  const flags = KEY_FLAG_ORDER.filter(([f]) => (spec.flags as string[]).includes(f)).map(([, name]) => new Status(name))
  out.push('flags', new SetReply(flags))
  const bs = spec.begin_search
  const bsSpec =
    bs.type === 'index' ? ['index', bs.pos] : bs.type === 'keyword' ? ['keyword', String(bs.keyword), 'startfrom', bs.startfrom] : []
  out.push('begin_search', new MapReply(['type', String(bs.type), 'spec', new MapReply(bsSpec)]))
  const fk = spec.find_keys
  const fkSpec =
    fk.type === 'range'
      ? ['lastkey', fk.lastkey, 'keystep', fk.step, 'limit', fk.limit]
      : fk.type === 'keynum'
        ? ['keynumidx', fk.keynumidx, 'firstkey', fk.firstkey, 'keystep', fk.step]
        : []
  out.push('find_keys', new MapReply(['type', String(fk.type), 'spec', new MapReply(fkSpec)]))
  return new MapReply(out)
}

function commandInfo(cmd: Command): Reply {
  const m = cmd.meta
  const subs: Reply[] = []
  if (cmd.subcommands) for (const sub of cmd.subcommands.values()) subs.push(commandInfo(sub))
  return [
    cmd.name,
    m.arity,
    new SetReply(flagReplies(m, cmd)),
    m.keys[0],
    m.keys[1],
    m.keys[2],
    new SetReply(m.acl.map((c) => new Status(c))),
    new SetReply(m.tips.map((t) => t.toLowerCase())),
    // Sets in RESP3, as Redis 7.2 replies; a command's subcommands are an array when it has any.
    new SetReply(m.specs.map(keySpecReply)),
    subs.length === 0 ? new SetReply([]) : subs,
  ]
}

function findCommand(name: string): Command | undefined {
  const bar = name.indexOf('|')
  if (bar < 0) return TABLE.get(name)
  return TABLE.get(name.slice(0, bar))?.subcommands?.get(name.slice(bar + 1))
}

export const COMMAND = defineCommand('command', {
  parse: () => undefined,
  run: (): Reply => [...TABLE.values()].map(commandInfo),
})

defineCommand('command|count', { parse: () => undefined, run: (): Reply => TABLE.size })

defineCommand('command|info', {
  parse: (a) => a.map((x) => lower(x)),
  run(_ctx, names: string[]): Reply {
    if (names.length === 0) return [...TABLE.values()].map(commandInfo)
    return names.map((n) => {
      const c = findCommand(n)
      return c ? commandInfo(c) : null
    })
  },
})

defineCommand('command|list', {
  parse(a): { pattern?: (s: string) => boolean; module?: boolean; category?: string } {
    if (a.length === 0) return {}
    if (a.length !== 3 || kw(a[0]!) !== 'FILTERBY') syntaxError()
    const by = kw(a[1]!)
    if (by === 'PATTERN') return { pattern: compileGlob(str(a[2]!), true) }
    if (by === 'MODULE') return { module: true }
    if (by === 'ACLCAT') return { category: '@' + str(a[2]!).toLowerCase() }
    return syntaxError()
  },
  run(_ctx, f: { pattern?: (s: string) => boolean; module?: boolean; category?: string }): Reply {
    if (f.module) return []
    const out: string[] = []
    for (const c of TABLE.values()) {
      for (const x of [c, ...(c.subcommands?.values() ?? [])]) {
        if (f.pattern && !f.pattern(x.name)) continue
        if (f.category && !x.meta.acl.includes(f.category)) continue
        out.push(x.name)
      }
    }
    return out
  },
})

function docsReply(name: string, cmd: Command): Reply {
  const d = docsTable()[name]
  if (!d) return new MapReply([])
  const out: Reply[] = ['summary', d.summary, 'since', d.since, 'group', d.group]
  if (d.complexity) out.push('complexity', d.complexity)
  if (d.doc_flags?.length) out.push('doc_flags', new SetReply(d.doc_flags.map((f) => new Status(f))))
  if (d.deprecated_since) out.push('deprecated_since', d.deprecated_since)
  if (d.replaced_by) out.push('replaced_by', d.replaced_by)
  if (d.history?.length) out.push('history', new SetReply(d.history.map(([v, t]) => [v, t])))
  if (d.arguments?.length) out.push('arguments', d.arguments.map(argDoc))
  if (cmd.subcommands?.size) {
    const subs: Reply[] = []
    for (const sub of cmd.subcommands.values()) subs.push(sub.name, docsReply(sub.name, sub))
    out.push('subcommands', new MapReply(subs))
  }
  return new MapReply(out)
}

function argDoc(arg: any): Reply {
  const out: Reply[] = ['name', arg.name, 'type', arg.type]
  // Every argument but a group (oneof, block) has a display text: its own, or its name.
  if (arg.display_text !== undefined || (arg.type !== 'oneof' && arg.type !== 'block')) out.push('display_text', arg.display_text ?? arg.name)
  if (arg.key_spec_index !== undefined) out.push('key_spec_index', arg.key_spec_index)
  if (arg.token !== undefined) out.push('token', arg.token)
  if (arg.summary !== undefined) out.push('summary', arg.summary)
  if (arg.since !== undefined) out.push('since', arg.since)
  if (arg.deprecated_since !== undefined) out.push('deprecated_since', arg.deprecated_since)
  const flags: Reply[] = []
  if (arg.optional) flags.push(new Status('optional'))
  if (arg.multiple) flags.push(new Status('multiple'))
  if (arg.multiple_token) flags.push(new Status('multiple_token'))
  if (flags.length) out.push('flags', new SetReply(flags))
  if (arg.value !== undefined && arg.type !== 'pure-token') out.push('value', arg.value)
  if (arg.arguments?.length) out.push('arguments', arg.arguments.map(argDoc))
  return new MapReply(out)
}

defineCommand('command|docs', {
  parse: (a) => a.map((x) => lower(x)),
  run(_ctx, names: string[]): Reply {
    const out: Reply[] = []
    const list = names.length ? names : [...TABLE.keys()]
    for (const n of list) {
      const c = findCommand(n)
      if (c) out.push(n, docsReply(n, c))
    }
    return new MapReply(out)
  },
})

defineCommand('command|getkeys', {
  parse: (a) => a,
  run(_ctx, argv: Arg[]): Reply {
    return commandKeysAndFlags(argv).map((k) => argv[k.pos]!)
  },
})

defineCommand('command|help', {
  parse: () => undefined,
  run: () =>
    helpReply('COMMAND', [
      '(no subcommand)',
      "    Return details about all Redis commands.",
      'COUNT',
      '    Return the total number of commands in this Redis server.',
      'LIST',
      '    Return a list of all commands in this Redis server.',
      'INFO [<command-name> ...]',
      '    Return details about multiple Redis commands.',
      '    If no command names are given, documentation details for all',
      '    commands are returned.',
      'DOCS [<command-name> ...]',
      '    Return documentation details about multiple Redis commands.',
      '    If no command names are given, documentation details for all',
      '    commands are returned.',
      'GETKEYS <full-command>',
      '    Return the keys from a full Redis command.',
      'GETKEYSANDFLAGS <full-command>',
      '    Return the keys and the access flags from a full Redis command.',
    ]),
})
