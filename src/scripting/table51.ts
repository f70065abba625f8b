/**
 * Lua 5.1's table layout, kept beside each fengari table, so that `next` (and with it `pairs`,
 * cjson and cmsgpack encoding, RESP3 maps returned by scripts) visits keys in the order Redis's
 * Lua visits them, and `#` finds the border Lua 5.1 finds.
 *
 * fengari holds a table's entries in a Map and walks them in insertion order. Lua 5.1 holds an
 * array part and a hash part of 2^k nodes: a key goes to its main position (its hash modulo the
 * size) or, when that node is taken, to the highest free node, and a full hash part triggers a
 * rehash that resizes both parts. `next` walks the array part, then the nodes by index. The
 * layout here replays exactly that — sizes from table constructors, the string hash of Redis's Lua
 * and 5.1's hash of a double's two words, collision moves, the free-node search, the rehash sizing
 * — so each key lands in the node Lua 5.1 would give it. Only where a key lives is tracked; values
 * stay in fengari's entries (a node holds the entry; an entry whose value fengari cleared is a key
 * set to nil).
 *
 * Where Lua hashes an address (tables, functions as keys), a creation counter stands in: Redis's
 * order for such keys depends on memory addresses and is not reproducible anyway.
 *
 * @module
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

/** A fengari table entry: key and value TValues (a cleared value means the key was set to nil). */
interface Entry {
  key: any
  value: any
}

/** The layout fields added to each fengari table. */
interface Layout {
  strong: Map<unknown, Entry>
  l: Entry | undefined
  /** Size of the array part (keys 1..asize live there). */
  asize: number
  /** Number of hash nodes; 0 is Lua's shared dummy node (an empty hash part). */
  nsize: number
  /**
   * The nodes, NODE slots each: the entry (undefined: a node never used, a nil key in Lua), the key
   * as fengari's Map keys it (kept: fengari erases the key of a cleared entry), and the index of
   * the next node in its collision chain (-1: none).
   */
  nodes: unknown[]
  /** Lua's `lastfree`: free nodes are searched for below it. */
  lastfree: number
}

/** Lua 5.1's MAXBITS: array indexes up to 2^26 count toward the array part. */
const MAXBITS = 26
const MAXASIZE = 1 << MAXBITS
const NO_NODES: unknown[] = []
/** Slots per node in `Layout.nodes`, and the offsets of a node's key and chain link. */
const NODE = 3
const PKEY = 1
const NEXT = 2

const F64 = new Float64Array(1)
const U32 = new Uint32Array(F64.buffer)
const nums = new Int32Array(MAXBITS + 1)

/** ceil(log2(x)) for x >= 1. */
function ceilLog2(x: number): number {
  return x <= 1 ? 0 : 32 - Math.clz32(x - 1)
}

/** luaO_fb2int: a constructor's size operand ("floating point byte") as a count. */
export function fb2int(x: number): number {
  const e = (x >> 3) & 31
  return e === 0 ? x : ((x & 7) + 8) * 2 ** (e - 1)
}

/**
 * The string hash of Redis's Lua (lstring.c): seeded with the length, over the bytes from the last.
 * Stock 5.1 reads only every ((len >> 5) + 1)-th byte; Redis's copy reads every byte (its order of
 * strings of 32 bytes and more shows it).
 */
export function hashString51(s: Uint8Array): number {
  let h = s.length >>> 0
  for (let i = s.length - 1; i >= 0; i--) h = (h ^ ((((h << 5) >>> 0) + (h >>> 2) + s[i]!) >>> 0)) >>> 0
  return h
}

/**
 * Installs the layout on a fengari instance's tables: `luaH_new`, the two setters, `luaH_next`
 * and `luaH_getn` are wrapped or replaced. `current()` gives the running state (for OP_SETLIST,
 * whose table writes carry no state).
 */
export function installTableLayout(m: Record<string, any>, current: () => any): void {
  const { ltable, lobject, ldebug, lstring, lopcodes, lstate } = m
  const T = m.defs.constant_types
  const { OP_NEWTABLE, OP_SETLIST, OP_EXTRAARG } = lopcodes.OpCodesI
  const CIST_LUA = lstate.CIST_LUA as number
  const INVALID_KEY = m.defs.to_luastring("invalid key to 'next'")
  const hashOf = (ts: any): unknown => lstring.luaS_hashlongstr(ts)

  // Address stand-ins for object keys.
  const ids = new WeakMap<object, number>()
  let nextId = 1
  const idOf = (o: object): number => {
    let id = ids.get(o)
    if (id === undefined) ids.set(o, (id = nextId = (nextId * 69069 + 1) >>> 0))
    return id
  }

  /** The key fengari's Map uses for a key (its table_hash, minus the errors). */
  function posKey(k: any): unknown {
    switch (k.type) {
      case T.LUA_TSHRSTR:
      case T.LUA_TLNGSTR:
        return hashOf(k.tsvalue())
      case T.LUA_TLIGHTUSERDATA: {
        const v = k.value
        return typeof v === 'object' || typeof v === 'function' ? v : `\u0000${typeof v}${String(v)}`
      }
      default:
        return k.value
    }
  }

  /** The key's index in the array part if it is one (a number with an integral value), else -1. */
  function arrayIndex(k: any): number {
    if (k.type !== T.LUA_TNUMFLT && k.type !== T.LUA_TNUMINT) return -1
    const n = k.value as number
    return Number.isInteger(n) && n >= 1 && n <= 2147483647 ? n : -1
  }

  /** Lua 5.1's mainposition for a node count `size` > 0. */
  function mainPosition(k: any, size: number): number {
    switch (k.type) {
      case T.LUA_TNUMFLT:
      case T.LUA_TNUMINT: {
        const n = k.value as number
        if (n === 0) return 0
        F64[0] = n
        return ((U32[0]! + U32[1]!) >>> 0) % ((size - 1) | 1)
      }
      case T.LUA_TSHRSTR:
      case T.LUA_TLNGSTR: {
        const ts = k.tsvalue()
        let h = ts.h51 as number | undefined
        if (h === undefined) ts.h51 = h = hashString51(ts.getstr())
        return h & (size - 1)
      }
      case T.LUA_TBOOLEAN:
        return (k.value ? 1 : 0) & (size - 1)
      case T.LUA_TLIGHTUSERDATA: {
        const v = k.value
        const h = typeof v === 'object' || typeof v === 'function' ? idOf(v) : typeof v === 'number' ? v >>> 0 : 0
        return h % ((size - 1) | 1)
      }
      default:
        return idOf(k.value) % ((size - 1) | 1)
    }
  }

  function setNodeVector(t: Layout, size: number): void {
    if (size === 0) {
      t.nsize = 0
      t.nodes = NO_NODES
      t.lastfree = 0
      return
    }
    const n = 2 ** ceilLog2(size)
    const nodes = new Array(n * NODE)
    for (let i = 0; i < n; i++) nodes[i * NODE + NEXT] = -1
    t.nsize = n
    t.nodes = nodes
    t.lastfree = n
  }

  function init(t: Layout, narray: number, nhash: number): void {
    t.asize = narray
    t.nsize = 0
    t.nodes = NO_NODES
    t.lastfree = 0
    if (nhash > 0) setNodeVector(t, nhash)
  }

  /** luaH_set for a key that has no live entry: where its (new) entry goes. */
  function place(t: Layout, e: Entry): void {
    const k = e.key
    const ai = arrayIndex(k)
    if (ai > 0 && ai <= t.asize) return
    // Appending to a full array part with no hash part: the rehash would double the array part.
    if (ai === t.asize + 1 && t.nsize === 0 && t.strong.size === ai) {
      t.asize = 2 ** ceilLog2(ai)
      return
    }
    const pk = posKey(k)
    const at = find(t, k, pk)
    // Set to nil earlier, the key still holds its node: the new value goes there.
    if (at >= 0) t.nodes[at * NODE] = e
    else newKey(t, e, pk)
  }

  /** The node holding key `k` (live or set to nil), found as Lua does: along its main position's chain. */
  function find(t: Layout, k: any, pk: unknown): number {
    if (t.nsize === 0) return -1
    const nodes = t.nodes
    for (let i = mainPosition(k, t.nsize); i !== -1; i = nodes[i * NODE + NEXT] as number) if (nodes[i * NODE + PKEY] === pk) return i
    return -1
  }

  /** Lua 5.1's newkey. */
  function newKey(t: Layout, e: Entry, pk: unknown): void {
    const size = t.nsize
    if (size === 0 && t.asize === 0 && t.strong.size === (e.value === undefined ? 0 : 1)) {
      // The first key of an empty table ({ok = ...} replies, decoded objects): the rehash would
      // size the hash part to one node, or the array part to one slot for the key 1.
      const ai = arrayIndex(e.key)
      if (ai === 1) t.asize = 1
      else if (!(ai > 0 && ai <= MAXASIZE)) {
        setNodeVector(t, 1)
        t.nodes[0] = e
        t.nodes[PKEY] = pk
      } else {
        rehash(t, e.key)
        place(t, e)
      }
      return
    }
    if (size !== 0) {
      const nodes = t.nodes
      const mp = mainPosition(e.key, size)
      const m = mp * NODE
      const o = nodes[m] as Entry | undefined
      if (o === undefined || o.value === undefined) {
        // The main position is free, or holds a key set to nil: the new key takes it (and its chain link).
        nodes[m] = e
        nodes[m + PKEY] = pk
        return
      }
      const n = freePosition(t)
      if (n >= 0) {
        const f = n * NODE
        let othern = mainPosition(o.key, size)
        if (othern !== mp) {
          // The node at mp is out of its main position: it moves to the free node.
          while (nodes[othern * NODE + NEXT] !== mp) othern = nodes[othern * NODE + NEXT] as number
          nodes[othern * NODE + NEXT] = n
          nodes[f] = o
          nodes[f + PKEY] = nodes[m + PKEY]
          nodes[f + NEXT] = nodes[m + NEXT]
          nodes[m] = e
          nodes[m + PKEY] = pk
          nodes[m + NEXT] = -1
        } else {
          // It is in its main position: the new key goes to the free node, chained after it.
          nodes[f] = e
          nodes[f + PKEY] = pk
          nodes[f + NEXT] = nodes[m + NEXT]
          nodes[m + NEXT] = n
        }
        return
      }
    }
    rehash(t, e.key)
    place(t, e)
  }

  function freePosition(t: Layout): number {
    const nodes = t.nodes
    while (t.lastfree > 0) {
      t.lastfree--
      if (nodes[t.lastfree * NODE] === undefined) return t.lastfree
    }
    return -1
  }

  /** countint: counts an array-candidate key into `nums`. */
  function countInt(k: any): number {
    const ai = arrayIndex(k)
    if (ai > 0 && ai <= MAXASIZE) {
      nums[ceilLog2(ai)]!++
      return 1
    }
    return 0
  }

  function rehash(t: Layout, extra: any): void {
    nums.fill(0)
    // numusearray: live array slots, by slices (2^(lg-1), 2^lg].
    const strong = t.strong
    let ause = 0
    for (let lg = 0, ttlg = 1, i = 1; lg <= MAXBITS; lg++, ttlg *= 2) {
      let lim = ttlg
      if (lim > t.asize) {
        lim = t.asize
        if (i > lim) break
      }
      let lc = 0
      for (; i <= lim; i++) if (strong.has(i)) lc++
      nums[lg]! += lc
      ause += lc
    }
    let nasize = ause
    let total = ause
    const nodes = t.nodes
    for (let i = t.nsize - 1; i >= 0; i--) {
      const e = nodes[i * NODE] as Entry | undefined
      if (e !== undefined && e.value !== undefined) {
        nasize += countInt(e.key)
        total++
      }
    }
    nasize += countInt(extra)
    total++
    // computesizes: the largest power of two n with more than n/2 of 1..n in use.
    let a = 0
    let na = 0
    let n = 0
    for (let i = 0, twotoi = 1; twotoi / 2 < nasize; i++, twotoi *= 2) {
      if (nums[i]! > 0) {
        a += nums[i]!
        if (a > twotoi / 2) {
          n = twotoi
          na = a
        }
      }
      if (a === nasize) break
    }
    resize(t, n, total - na)
  }

  /** Puts a live key back after a resize (fresh nodes: no lookup needed). */
  function reinsert(t: Layout, e: Entry, pk: unknown): void {
    const ai = arrayIndex(e.key)
    if (ai > 0 && ai <= t.asize) return
    newKey(t, e, pk)
  }

  function resize(t: Layout, nasize: number, nhsize: number): void {
    const oldasize = t.asize
    const oldNodes = t.nodes
    const oldSize = t.nsize
    if (nasize > oldasize) t.asize = nasize
    setNodeVector(t, nhsize)
    if (nasize < oldasize) {
      t.asize = nasize
      for (let i = nasize + 1; i <= oldasize; i++) {
        const e = t.strong.get(i)
        if (e !== undefined) reinsert(t, e, i)
      }
    }
    for (let i = oldSize - 1; i >= 0; i--) {
      const e = oldNodes[i * NODE] as Entry | undefined
      if (e !== undefined && e.value !== undefined) reinsert(t, e, oldNodes[i * NODE + PKEY])
    }
  }

  /** The instruction the state's running Lua function is executing, if it runs one. */
  function instruction(L: any): any {
    const ci = L?.ci
    if (ci === undefined || (ci.callstatus & CIST_LUA) === 0) return undefined
    const i = ci.l_code[ci.l_savedpc - 1]
    // OP_SETLIST's count can sit in a following OP_EXTRAARG, already read.
    return i !== undefined && i.opcode === OP_EXTRAARG ? ci.l_code[ci.l_savedpc - 2] : i
  }

  // Every table gets its layout here: fengari makes tables only through luaH_new, and the layout is
  // installed before the instance creates any state.
  const newTable = ltable.luaH_new
  ltable.luaH_new = function (L: any) {
    const t = newTable(L)
    // A constructor presizes both parts (OP_NEWTABLE's operands); the host's tables start empty,
    // as Redis's lua_newtable.
    const i = instruction(L)
    if (i !== undefined && i.opcode === OP_NEWTABLE) init(t, fb2int(i.B), fb2int(i.C))
    else init(t, 0, 0)
    return t
  }

  /**
   * Setting nil to a key the table lacks still gives the key a node in Lua 5.1 (luaH_set runs
   * before the value is stored), which can take a free node or trigger a rehash; fengari stores nothing.
   */
  function placeNil(t: Layout, key: any): void {
    const ai = arrayIndex(key)
    if (ai > 0 && ai <= t.asize) return
    const pk = posKey(key)
    if (t.strong.has(pk) || find(t, key, pk) >= 0) return
    newKey(t, { key, value: undefined }, pk)
  }

  const setfrom = ltable.luaH_setfrom
  ltable.luaH_setfrom = function (L: any, t: any, key: any, value: any) {
    if (value.type === T.LUA_TNIL) {
      // Checked first: fengari raises the errors for a nil or NaN key.
      setfrom(L, t, key, value)
      placeNil(t, key)
      return
    }
    const last = t.l
    setfrom(L, t, key, value)
    if (t.l !== last) place(t, t.l)
  }

  const setint = ltable.luaH_setint
  ltable.luaH_setint = function (t: any, key: number, value: any) {
    // OP_SETLIST first grows the array part to the constructor's last index (luaH_resizearray).
    if (key > t.asize) {
      const i = instruction(current())
      if (i !== undefined && i.opcode === OP_SETLIST) resize(t, key, t.nsize)
    }
    if (value.type === T.LUA_TNIL) {
      setint(t, key, value)
      placeNil(t, new lobject.TValue(T.LUA_TNUMFLT, key))
      return
    }
    const last = t.l
    setint(t, key, value)
    if (t.l !== last) place(t, t.l)
  }

  ltable.luaH_next = function (L: any, t: any, keyI: number): boolean {
    const k = L.stack[keyI]
    let i: number
    if (k.type === T.LUA_TNIL) i = 0
    else {
      const ai = arrayIndex(k)
      if (ai > 0 && ai <= t.asize) i = ai
      else {
        const at = find(t, k, posKey(k))
        if (at < 0) return ldebug.luaG_runerror(L, INVALID_KEY)
        i = t.asize + at + 1
      }
    }
    const strong = t.strong as Map<unknown, Entry>
    for (; i < t.asize; i++) {
      const e = strong.get(i + 1)
      if (e !== undefined) return yieldEntry(L, keyI, e)
    }
    const nodes = t.nodes as unknown[]
    for (i -= t.asize; i < t.nsize; i++) {
      const e = nodes[i * NODE] as Entry | undefined
      if (e !== undefined && e.value !== undefined) return yieldEntry(L, keyI, e)
    }
    return false
  }

  function yieldEntry(L: any, keyI: number, e: Entry): true {
    lobject.setobj2s(L, keyI, e.key)
    lobject.setobj2s(L, keyI + 1, e.value)
    return true
  }

  /** A border between i (present, or 0) and j (absent), by bisection. */
  function bisect(strong: Map<unknown, Entry>, i: number, j: number): number {
    while (j - i > 1) {
      const mid = Math.floor((i + j) / 2)
      if (!strong.has(mid)) j = mid
      else i = mid
    }
    return i
  }

  // luaH_getn: a border found as 5.1 finds it, from the array part's size.
  ltable.luaH_getn = function (t: any): number {
    const strong = t.strong as Map<unknown, Entry>
    const j = t.asize as number
    if (j > 0 && !strong.has(j)) return bisect(strong, 0, j)
    if (t.nsize === 0) return j
    // unbound_search
    let i = j
    let k = j + 1
    while (strong.has(k)) {
      i = k
      k *= 2
      if (k > 2147483647) {
        i = 1
        while (strong.has(i)) i++
        return i - 1
      }
    }
    return bisect(strong, i, k)
  }
}
