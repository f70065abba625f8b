import { fail } from '../core/errors.js'
import { string2ll } from '../core/numbers.js'

/** How a configuration parameter's text is read and printed. */
export type ParamKind =
  | { type: 'int'; min: number | bigint; max: number | bigint }
  /** A byte count with an optional unit; bounds as Redis's numeric configs have them (none: any unsigned 64-bit value). */
  | { type: 'memory'; min?: number | bigint; max?: number | bigint }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'string' }
  /** `parse` gets the value in effect too (for values that change only part of it). */
  | { type: 'custom'; parse(text: string, current: unknown): unknown; format(v: unknown): string }

export interface ParamDef {
  name: string
  kind: ParamKind
  default: unknown
  /** Cannot be changed by CONFIG SET (set only through Store options). */
  immutable?: boolean
  /** Refused by CONFIG SET as Redis refuses its protected configs (`enable-protected-configs` is always no here). */
  protected?: boolean
  aliases?: string[]
  /** What a valid value becomes when set, where Redis adjusts it (`hz` is kept within 1..500). */
  adjust?: (v: unknown) => unknown
}

/** Parameters registered by command modules (thresholds, limits), defined in every new Store's Config. */
export const CONFIG_PARAMS: ParamDef[] = []

/** Registers a configuration parameter for every Store (call at module load). */
export function registerConfig(def: ParamDef): void {
  CONFIG_PARAMS.push(def)
}

/** Slots of the parameters commands read on every call (see `hotParam`), by canonical name. */
const HOT_SLOTS = new Map<string, number>()

/**
 * A reader of a parameter that commands read on every call (the listpack limits): each Config keeps
 * its value in an array slot that `put` updates, so a read is an indexed load instead of a map
 * lookup. `name` is the canonical name. Call at module load.
 */
export function hotParam<T>(name: string): (cfg: Config) => T {
  let slot = HOT_SLOTS.get(name)
  if (slot === undefined) HOT_SLOTS.set(name, (slot = HOT_SLOTS.size))
  const s = slot
  return (cfg) => {
    const v = cfg.hot[s]
    return (v !== undefined ? v : cfg.fillHot(name, s)) as T
  }
}

/**
 * The parameters CONFIG GET/SET know, with Redis's names, validation and
 * error texts. Values are kept parsed (numbers, booleans, strings); listeners
 * registered with `watch()` apply a change where it matters.
 */
export class Config {
  private readonly defs = new Map<string, ParamDef>()
  private readonly values = new Map<string, unknown>()
  /** The exact decimal form of integer values beyond 2^53, which their numbers only approximate. */
  private readonly exact = new Map<string, string>()
  private readonly watchers = new Map<string, Array<(v: unknown) => void>>()
  /** @internal Values of the `hotParam` parameters, filled on first read. */
  readonly hot: unknown[] = []

  /** @internal The first read of a `hotParam` parameter. */
  fillHot(name: string, slot: number): unknown {
    return (this.hot[slot] = this.values.get(name))
  }

  define(def: ParamDef): void {
    this.defs.set(def.name, def)
    if (!this.values.has(def.name)) this.values.set(def.name, def.default)
    // Aliases hold the value too, so `get` is one lookup.
    for (const a of def.aliases ?? []) {
      this.defs.set(a, def)
      this.values.set(a, this.values.get(def.name))
    }
  }

  has(name: string): boolean {
    return this.defs.has(name)
  }

  /** The parsed value of a parameter. */
  get<T = unknown>(name: string): T {
    return this.values.get(name) as T
  }

  /** Sets a value directly (Store options and internal updates: no immutability check). */
  put(name: string, value: unknown): void {
    const def = this.defs.get(name)
    const key = def ? def.name : name
    this.values.set(key, value)
    for (const a of def?.aliases ?? []) this.values.set(a, value)
    this.exact.delete(key)
    const slot = HOT_SLOTS.get(key)
    if (slot !== undefined) this.hot[slot] = value
    for (const fn of this.watchers.get(key) ?? []) fn(value)
  }

  /** Runs `fn` with the new value after every change of `name`. */
  watch(name: string, fn: (v: unknown) => void): void {
    let list = this.watchers.get(name)
    if (!list) this.watchers.set(name, (list = []))
    list.push(fn)
  }

  /** The text form of a parameter, as CONFIG GET prints it. */
  text(name: string): string {
    const def = this.defs.get(name)!
    return this.exact.get(def.name) ?? formatValue(def.kind, this.values.get(def.name))
  }

  /**
   * CONFIG GET, as Redis answers it: a name without glob characters is looked
   * up exactly (case-insensitively) and answered under the spelling given; a
   * pattern matches canonical names and aliases case-insensitively, and each
   * name that matches is reported (a parameter and its alias both, as valkey 8
   * and Redis 7.2 do), once.
   */
  getMatching(patterns: string[], compile: (p: string) => (s: string) => boolean): Array<[string, string]> {
    const out: Array<[string, string]> = []
    const seenNames = new Set<string>()
    const add = (name: string, def: ParamDef) => {
      seenNames.add(name.toLowerCase())
      out.push([name, this.text(def.name)])
    }
    for (const p of patterns) {
      if (!/[[*?]/.test(p)) {
        const def = this.defs.get(p.toLowerCase())
        if (def && !seenNames.has(p.toLowerCase())) add(p, def)
        continue
      }
      const match = compile(p.toLowerCase())
      for (const [name, def] of this.defs) {
        if (seenNames.has(name)) continue
        if (match(name)) add(name, def)
      }
    }
    return out
  }

  /**
   * CONFIG SET of several pairs, all or nothing, as Redis's configSetCommand: every name is looked up
   * first (the first unknown, immutable or repeated one is the error, named as given), then every
   * value is parsed (a bad one is named by its parameter's registered name), and only then are they
   * set, in order. A parameter and its alias are different names: both may be given, the later wins.
   */
  setMany(pairs: Array<[string, string]>): void {
    const given: Array<[string, ParamDef]> = []
    const seen = new Set<string>()
    for (const [name] of pairs) {
      const lower = name.toLowerCase()
      const def = this.defs.get(lower)
      if (!def) fail(`Unknown option or number of arguments for CONFIG SET - '${name}'`)
      if (def.immutable || def.protected) {
        fail(`CONFIG SET failed (possibly related to argument '${name}') - can't set ${def.immutable ? 'immutable' : 'protected'} config`)
      }
      if (seen.has(lower)) fail(`CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`)
      seen.add(lower)
      given.push([lower, def])
    }
    const parsed: Array<[ParamDef, { value?: unknown; exact?: string }]> = []
    for (let i = 0; i < pairs.length; i++) {
      const [lower, def] = given[i]!
      const r = parseValue(def.kind, pairs[i]![1], this.values.get(def.name))
      if (r.error !== undefined) fail(`CONFIG SET failed (possibly related to argument '${lower}') - ${r.error}`)
      if (def.adjust !== undefined) r.value = def.adjust(r.value)
      parsed.push([def, r])
    }
    for (const [def, r] of parsed) {
      this.put(def.name, r.value)
      if (r.exact !== undefined) this.exact.set(def.name, r.exact)
    }
  }
}

const MEM_UNITS: Record<string, bigint> = { b: 1n, k: 1000n, kb: 1024n, m: 1000000n, mb: 1n << 20n, g: 1000000000n, gb: 1n << 30n }
const ULLONG_MAX = (1n << 64n) - 1n
export const LLONG_MAX = (1n << 63n) - 1n

/**
 * Redis's memtoull, exactly: digits (leading zeros allowed, no sign) with an optional unit (b, k, kb,
 * m, mb, g, gb, any case). The digits saturate at 2^64 - 1 as strtoull does, and the unit's
 * multiplication wraps modulo 2^64 as C's does.
 */
export function parseMemoryExact(text: string): bigint | undefined {
  // Up to 127 digits (none reads as 0), as Redis copies them into a 128-byte buffer.
  const m = /^(\d{0,127})([a-z]*)$/i.exec(text)
  if (!m) return undefined
  const unit = m[2]!.toLowerCase()
  const mul = unit === '' ? 1n : MEM_UNITS[unit]
  if (mul === undefined) return undefined
  let n = BigInt(m[1]!)
  if (n > ULLONG_MAX) n = ULLONG_MAX
  return (n * mul) & ULLONG_MAX
}

/**
 * The words of a value CONFIG SET reads as several (save, client-output-buffer-limit): Redis splits
 * it at every single space, so two spaces in a row make an empty word.
 */
export function configWords(text: string): string[] {
  return text === '' ? [] : text.split(' ')
}

/**
 * A word as C's strtoll reads it when nothing may follow the number: leading white space and a sign
 * are fine, out-of-range values saturate, and an empty word is 0 (no digits, nothing left over).
 */
export function strtollWhole(word: string): bigint | undefined {
  if (word === '') return 0n
  const m = /^[\t\n\v\f\r ]*([+-]?\d+)$/.exec(word)
  if (m === null) return undefined
  const n = BigInt(m[1]!)
  return n > LLONG_MAX ? LLONG_MAX : n < -LLONG_MAX - 1n ? -LLONG_MAX - 1n : n
}

/** `parseMemoryExact` as a number (exact up to 2^53). */
export function parseMemory(text: string): number | undefined {
  const n = parseMemoryExact(text)
  return n === undefined ? undefined : Number(n)
}

/** A parsed integer as stored: a number, with its exact text when the number cannot hold it. */
function integer(b: bigint): { value: number; exact?: string } {
  const value = Number(b)
  return Number.isSafeInteger(value) ? { value } : { value, exact: b.toString() }
}

function parseValue(kind: ParamKind, text: string, current?: unknown): { value?: unknown; exact?: string; error?: string } {
  switch (kind.type) {
    case 'int': {
      const n = string2ll(text)
      if (n === undefined) return { error: 'argument couldn\'t be parsed into an integer' }
      const b = BigInt(n)
      if (b < BigInt(kind.min) || b > BigInt(kind.max)) return { error: `argument must be between ${kind.min} and ${kind.max} inclusive` }
      return integer(b)
    }
    case 'memory': {
      const n = parseMemoryExact(text)
      if (n === undefined) return { error: 'argument must be a memory value' }
      // Bounded ones are Redis's signed or size_t configs: a value past 2^63 - 1 is out of range as well.
      if ((kind.min !== undefined && n < BigInt(kind.min)) || (kind.max !== undefined && n > BigInt(kind.max))) {
        return { error: `argument must be between ${kind.min ?? 0} and ${kind.max ?? ULLONG_MAX} inclusive` }
      }
      return integer(n)
    }
    case 'bool': {
      const t = text.toLowerCase()
      if (t === 'yes') return { value: true }
      if (t === 'no') return { value: false }
      return { error: "argument must be 'yes' or 'no'" }
    }
    case 'enum': {
      const t = text.toLowerCase()
      if (kind.values.includes(t)) return { value: t }
      return { error: `argument(s) must be one of the following: ${kind.values.join(', ')}` }
    }
    case 'string':
      return { value: text }
    case 'custom':
      try {
        return { value: kind.parse(text, current) }
      } catch (e) {
        return { error: (e as Error).message }
      }
  }
}

function formatValue(kind: ParamKind, v: unknown): string {
  switch (kind.type) {
    case 'bool':
      return v ? 'yes' : 'no'
    case 'custom':
      return kind.format(v)
    default:
      return String(v)
  }
}
