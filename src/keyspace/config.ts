import { fail } from '../core/errors.js'

/** How a configuration parameter's text is read and printed. */
export type ParamKind =
  | { type: 'int'; min: number | bigint; max: number | bigint }
  | { type: 'memory' }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'string' }
  | { type: 'custom'; parse(text: string): unknown; format(v: unknown): string }

export interface ParamDef {
  name: string
  kind: ParamKind
  default: unknown
  /** Cannot be changed by CONFIG SET (set only through Store options). */
  immutable?: boolean
  aliases?: string[]
}

/** Parameters registered by command modules (thresholds, limits), defined in every new Store's Config. */
export const CONFIG_PARAMS: ParamDef[] = []

/** Registers a configuration parameter for every Store (call at module load). */
export function registerConfig(def: ParamDef): void {
  CONFIG_PARAMS.push(def)
}

/**
 * The parameters CONFIG GET/SET know, with Redis's names, validation and
 * error texts. Values are kept parsed (numbers, booleans, strings); listeners
 * registered with `watch()` apply a change where it matters.
 */
export class Config {
  private readonly defs = new Map<string, ParamDef>()
  private readonly values = new Map<string, unknown>()
  private readonly watchers = new Map<string, Array<(v: unknown) => void>>()

  define(def: ParamDef): void {
    this.defs.set(def.name, def)
    for (const a of def.aliases ?? []) this.defs.set(a, def)
    if (!this.values.has(def.name)) this.values.set(def.name, def.default)
  }

  has(name: string): boolean {
    return this.defs.has(name)
  }

  /** The parsed value of a parameter. */
  get<T = unknown>(name: string): T {
    const def = this.defs.get(name)
    return this.values.get(def ? def.name : name) as T
  }

  /** Sets a value directly (Store options and internal updates: no immutability check). */
  put(name: string, value: unknown): void {
    const def = this.defs.get(name)
    const key = def ? def.name : name
    this.values.set(key, value)
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
    return formatValue(def.kind, this.values.get(def.name))
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
      out.push([name, formatValue(def.kind, this.values.get(def.name))])
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
   * CONFIG SET of several pairs, all or nothing, with Redis's error texts.
   * Lower-cased names; values as given.
   */
  setMany(pairs: Array<[string, string]>): void {
    const parsed: Array<[ParamDef, unknown]> = []
    const seen = new Set<string>()
    for (const [name, text] of pairs) {
      const def = this.defs.get(name)
      if (!def) fail(`Unknown option or number of arguments for CONFIG SET - '${name}'`)
      if (seen.has(def.name)) fail(`CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`)
      seen.add(def.name)
      if (def.immutable) fail(`CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`)
      const r = parseValue(def.kind, text)
      if (r.error !== undefined) fail(`CONFIG SET failed (possibly related to argument '${name}') - ${r.error}`)
      parsed.push([def, r.value])
    }
    for (const [def, v] of parsed) this.put(def.name, v)
  }
}

const MEM_UNITS: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1 << 20, g: 1e9, gb: 1 << 30 }

/** Redis's memtoull: a number with an optional unit (k, kb, m, mb, g, gb), case-insensitive. */
export function parseMemory(text: string): number | undefined {
  const m = /^(\d+)([a-z]*)$/i.exec(text)
  if (!m) return undefined
  const unit = m[2]!.toLowerCase()
  const mul = unit === '' ? 1 : MEM_UNITS[unit]
  if (mul === undefined) return undefined
  return Number(m[1]) * mul
}

function parseValue(kind: ParamKind, text: string): { value?: unknown; error?: string } {
  switch (kind.type) {
    case 'int': {
      if (!/^-?\d+$/.test(text)) return { error: 'argument couldn\'t be parsed into an integer' }
      // Bounds up to LLONG_MAX are given as bigints: compare exactly.
      const b = BigInt(text)
      if (b < BigInt(kind.min) || b > BigInt(kind.max)) return { error: `argument must be between ${kind.min} and ${kind.max} inclusive` }
      return { value: Number(b) }
    }
    case 'memory': {
      const n = parseMemory(text)
      return n === undefined ? { error: 'argument must be a memory value' } : { value: n }
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
        return { value: kind.parse(text) }
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
