/**
 * CONFIG SET and CONFIG GET of the parameters embedis has: valid and invalid values of every kind
 * (integers in and out of range, memory sizes with units, percentages, booleans, enums, the
 * client-output-buffer-limit list, values Redis clamps such as `hz`), several parameters at once
 * (all or nothing: a bad one leaves the others unchanged), duplicates through aliases, unknown and
 * immutable names, odd argument counts, and CONFIG GET by name, alias, case and pattern. A few
 * writes and OBJECT ENCODING show the encoding limits taking effect.
 *
 * Values are chosen so the reference server keeps serving the run: no memory limit it could reach,
 * no client timeout or client memory limit that would drop the connection, no password.
 * `runSeed` sets every parameter touched here back to its default (CONFIG_DEFAULTS) before each seed.
 */
import { type Cmd, type Gen, KEYS, type Rng } from './gen.js'

const INTS = ['0', '1', '-1', '2', '5', '10', '64', '65', '100', '128', '500', '501', '1000', '2147483647', '2147483648', '-2147483649', '9223372036854775807', '9223372036854775808', 'abc', '', '1.5', ' 1', '1k', '1kb', '+5', '007', '0x10']
const MEMORY = ['1gb', '1GB', '2gb', '1073741824', '1024mb', '3g', '4294967296', '0', '-1', '1.5gb', '1zb', 'abc', '', '1 gb', '18446744073709551615', '18446744073709551616', '10%']
const BULK = ['1mb', '1048576', '1048575', '600mb', '512mb', '1gb', '4gb', '0', '-1', 'abc', '1.5mb', '536870912']
const BOOLS = ['yes', 'no', 'YES', 'No', 'true', '1', '', 'maybe']
const POLICIES = ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-lfu', 'volatile-lfu', 'allkeys-random', 'volatile-random', 'volatile-ttl', 'ALLKEYS-LRU', 'lru', '', 'allkeys_lru']
const BUFFER_LIMITS = [
  'normal 0 0 0',
  'pubsub 32mb 8mb 60',
  'pubsub 64mb 16mb 120 normal 0 0 0',
  'replica 256mb 64mb 60',
  'slave 1gb 512mb 0',
  'PUBSUB 64mb 32mb 3',
  'normal 1 2',
  'foo 0 0 0',
  'pubsub 1x 0 0',
  'pubsub -1 0 0',
  'normal 0 0 -1',
  'normal  0 0',
  'normal 0 0 ',
  'pubsub 64mb 32mb \t5',
  '',
  'pubsub 1mb 2mb 3 normal',
]
const ENTRIES = ['0', '1', '2', '3', '8', '128', '512', '-1', 'abc', '1k', '2147483648']
const BYTES = ['0', '1', '4', '16', '64', '-1', '1kb', 'x']

/** Each parameter's values (valid ones first and more likely; invalid ones get Redis's errors). */
const VALUES: Record<string, readonly string[]> = {
  'maxmemory': MEMORY,
  'maxmemory-policy': POLICIES,
  'maxmemory-samples': INTS,
  'maxmemory-eviction-tenacity': INTS,
  'maxmemory-clients': ['0', '1%', '10%', '100%', '101%', '0%', '-1%', 'abc%', '%', '1gb', '2gb', '-1', 'x'],
  'lfu-log-factor': INTS,
  'lfu-decay-time': INTS,
  'hz': INTS,
  'active-expire-effort': INTS,
  'busy-reply-threshold': INTS,
  'lua-time-limit': INTS,
  'latency-monitor-threshold': INTS,
  'slowlog-log-slower-than': INTS,
  'slowlog-max-len': INTS,
  'acllog-max-len': INTS,
  'tracking-table-max-keys': INTS,
  'proto-max-bulk-len': BULK,
  'rdbcompression': BOOLS,
  'client-output-buffer-limit': BUFFER_LIMITS,
  // Only 0 or values no idle connection of the run reaches, and refusals. (Client output limits above:
  // only ones no connection of a run reaches, as the notification subscriber's of `--notify`.)
  'timeout': ['0', '300', '3600', '-1', 'abc', '2147483647', '2147483648'],
  'hash-max-listpack-entries': ENTRIES,
  'hash-max-ziplist-entries': ENTRIES,
  'hash-max-listpack-value': BYTES,
  'hash-max-ziplist-value': BYTES,
  'set-max-intset-entries': ENTRIES,
  'set-max-listpack-entries': ENTRIES,
  'set-max-listpack-value': BYTES,
  'zset-max-listpack-entries': ENTRIES,
  'zset-max-ziplist-entries': ENTRIES,
  'zset-max-listpack-value': BYTES,
  'zset-max-ziplist-value': BYTES,
  'list-max-listpack-size': ['-5', '-4', '-3', '-2', '-1', '1', '2', '8', '-6', '0', '32768', 'abc'],
  'list-max-ziplist-size': ['-2', '1', '-6'],
  'list-compress-depth': ['0', '1', '2', '-1', 'x'],
  'stream-node-max-entries': ['0', '1', '100', '-1', '999999999999', 'x'],
  'stream-node-max-bytes': ['0', '1', '4096', '4kb', '-1', 'x'],
  'hll-sparse-max-bytes': ['0', '1', '3000', '3001', '-1', 'x'],
  // Save rules no run lives long enough to meet (the reference would write a snapshot), and refusals.
  'save': ['', '3600 1', '900 1 300 10', '+3600 007', '3600', '0 1', '1 -1', 'x 1', '3600 4294967297', '3600  1', '3600 ', ' 3600 1', '3600 \t5', '3600 +'],
  'appendfsync': ['everysec', 'always', 'no', 'EVERYSEC', 'sometimes', ''],
  // Not switched on (embedis refuses that at run time; the reference would start writing a file).
  'appendonly': ['no', 'NO', 'maybe', ''],
  // Only refusals: a real change would stop the server taking new connections.
  'maxclients': ['0', '-1', 'abc', ''],
}
const NAMES = Object.keys(VALUES)
const IMMUTABLE = ['databases', 'aclfile', 'enable-debug-command', 'enable-module-command', 'rdbchecksum', 'appendfilename', 'appenddirname', 'enable-protected-configs', 'dbfilename']
/** Refused by CONFIG SET too; not read with CONFIG GET (the working directories of the two differ). */
const PROTECTED = ['dir', ...IMMUTABLE]
const UNKNOWN = ['nosuchparam', 'maxmemory-polic', 'maxkeys-x', 'save-x', '']
/**
 * Patterns that match, on the reference server too, only parameters embedis has (and not
 * notify-keyspace-events, which the live suite's notification runs leave set on the server).
 */
const PATTERNS = ['hash-*', '*-max-listpack-*', '*listpack*', '*ziplist*', 'zset-*', 'list-*', 'lfu-*', 'maxmemory*', 'maxmemory-*', '*-samples', 'slowlog-*', 'stream-node-*', 'hll-*', '*intset*', 'lua-*', 'busy-*', 'tracking-*', '*tenacity', 'h?', 't?meout', 'proto-*', 'acllog-*', 'latency-monitor-*', '*-entries', '*-value', '*bulk*', 'active-expire-*', 'client-output-*', '*policy', 'maxmemory-c*', 'set-max-??????-*', '[hz]*-max-*', '*databases', 'enable-*-command', 'MAXMEMORY*', 'Hash-*', 'nosuch*']

/** A name as a client may spell it: mostly as listed, sometimes in upper or mixed case. */
function spell(r: Rng, name: string): string {
  if (r.chance(0.85) || name === '') return name
  return r.chance(0.5) ? name.toUpperCase() : name[0]!.toUpperCase() + name.slice(1)
}

/** A value for `name`: mostly one of its first (valid) values. */
function value(r: Rng, name: string): string {
  const v = VALUES[name]!
  return r.chance(0.6) ? v[r.int(0, Math.min(4, v.length - 1))]! : r.pick(v)
}

const set = (argv: string[]): Cmd => ({ argv: ['CONFIG', 'SET', ...argv], unreplicated: true })

const GENS: Array<readonly [number, Gen]> = [
  [10, (r) => {
    const name = r.pick(NAMES)
    return set([spell(r, name), value(r, name)])
  }],
  // Several at once: all or nothing.
  [5, (r) => {
    const argv: string[] = []
    for (const name of r.some(NAMES, 2, 4)) argv.push(spell(r, name), value(r, name))
    return set(argv)
  }],
  // A parameter twice (also as its alias), an unknown or immutable one among valid ones.
  [3, (r) => {
    const name = r.pick(NAMES)
    const alias = name === 'lua-time-limit' ? 'busy-reply-threshold' : name === 'busy-reply-threshold' ? 'lua-time-limit' : name.includes('listpack') ? name.replace('listpack', 'ziplist') : name.replace('ziplist', 'listpack')
    const second = r.pick([name, alias, r.pick(PROTECTED), r.pick(UNKNOWN)])
    const argv = [spell(r, name), value(r, name), second, VALUES[second] !== undefined ? value(r, second) : r.pick(['1', 'yes', 'x'])]
    return set(r.chance(0.5) ? argv : [...argv.slice(2), ...argv.slice(0, 2)])
  }],
  [1, (r) => set([r.pick(PROTECTED), r.pick(['1', '16', 'yes', 'no', ''])])],
  [1, (r) => set([r.pick(UNKNOWN), '1'])],
  // Odd counts: a name without its value.
  [1, (r) => ({ argv: ['CONFIG', 'SET', ...r.pick([[], [r.pick(NAMES)], [r.pick(NAMES), '1', r.pick(NAMES)]])] })],
  [6, (r) => ({ argv: ['CONFIG', 'GET', spell(r, r.pick([...NAMES, ...IMMUTABLE, 'requirepass']))] })],
  // Several names are answered in hash order.
  [3, (r) => ({ argv: ['CONFIG', 'GET', ...r.some([...NAMES, ...IMMUTABLE, ...UNKNOWN], 2, 4).map((n) => spell(r, n))], ann: ['unordered-pairs'] })],
  [4, (r) => ({ argv: ['CONFIG', 'GET', r.pick(PATTERNS), ...(r.chance(0.3) ? [r.pick([...PATTERNS, ...NAMES])] : [])], ann: ['unordered-pairs'] })],
  [1, () => ({ argv: ['CONFIG', 'GET'] })],
  // The encoding limits at work.
  [2, (r) => ({ argv: ['HSET', r.pick(KEYS), ...r.some(['f1', 'f2', 'f3', 'f4', 'f5'], 1, 3).flatMap((f) => [f, r.pick(['v', 'x'.repeat(20)])])] })],
  [2, (r) => ({ argv: ['SADD', r.pick(KEYS), ...r.some(['1', '2', '3', '4', 'a', 'b', 'x'.repeat(20)], 1, 3)] })],
  [2, (r) => ({ argv: ['ZADD', r.pick(KEYS), '1', r.pick(['a', 'b', 'c', 'x'.repeat(20)])] })],
  [2, (r) => ({ argv: ['RPUSH', r.pick(KEYS), ...r.some(['a', 'b', 'c', 'd', 'x'.repeat(20)], 1, 3)] })],
  [1, (r) => r.pick<Cmd>([{ argv: ['LPOP', r.pick(KEYS), String(r.int(1, 3))] }, { argv: ['LTRIM', r.pick(KEYS), '0', String(r.int(0, 3))] }, { argv: ['SREM', r.pick(KEYS), r.pick(['1', 'a'])] }, { argv: ['ZREM', r.pick(KEYS), r.pick(['a', 'b'])] }, { argv: ['HDEL', r.pick(KEYS), 'f1'] }])],
  [3, (r) => ({ argv: ['OBJECT', 'ENCODING', r.pick(KEYS)] })],
  [1, (r) => ({ argv: ['DEL', r.pick(KEYS)] })],
]

export const config: Gen = (r) => r.weighted(GENS)(r)
