/**
 * Script and library headers: EVAL's `#!lua flags=...` shebang and FUNCTION
 * LOAD's `#!lua name=...` metadata, parsed as Redis 7.2 does (eval.c
 * evalExtractShebangFlags, functions.c functionExtractLibMetaData), with
 * Redis's own argument splitting (sdssplitargs).
 */
import { Buffer } from 'node:buffer'


/** Script flags (src/script.c scripts_flags_def), in Redis's order. */
export const SCRIPT_FLAGS = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'] as const
export type ScriptFlag = (typeof SCRIPT_FLAGS)[number]

export const FLAG_NO_WRITES = 1
export const FLAG_ALLOW_OOM = 2
export const FLAG_ALLOW_STALE = 4
export const FLAG_NO_CLUSTER = 8
export const FLAG_ALLOW_CROSS_SLOT = 16
/** No shebang: Redis's compatibility mode for EVAL (may write, flags ignored). */
export const FLAG_EVAL_COMPAT = 1 << 10

export function flagBit(name: string): number {
  const i = (SCRIPT_FLAGS as readonly string[]).indexOf(name)
  return i < 0 ? 0 : 1 << i
}

/**
 * The flags an EVAL body declares in its shebang; undefined without one (Redis's compatibility mode,
 * where the command keeps its own flags) or when the shebang does not parse (EVAL then refuses it).
 */
export function evalDeclaredFlags(body: string | Uint8Array): number | undefined {
  // Only a body that starts with `#!` has a shebang: skip the encoding otherwise.
  if (typeof body === 'string' ? !body.startsWith('#!') : body[0] !== 0x23 || body[1] !== 0x21) return undefined
  const sh = parseShebang(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
  return typeof sh === 'string' || sh.flags & FLAG_EVAL_COMPAT ? undefined : sh.flags
}

const HEX = '0123456789abcdefABCDEF'
const isSpace = (c: string): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f'

/** Redis's sdssplitargs over a latin1 string; null on unbalanced quotes. */
export function splitArgs(line: string): string[] | null {
  const out: string[] = []
  let i = 0
  for (;;) {
    while (i < line.length && isSpace(line[i]!)) i++
    if (i >= line.length) return out
    let cur = ''
    let inq = false
    let insq = false
    for (;;) {
      const c = line[i]
      if (inq) {
        if (c === undefined) return null
        if (c === '\\' && line[i + 1] === 'x' && HEX.includes(line[i + 2] ?? 'z') && HEX.includes(line[i + 3] ?? 'z')) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16))
          i += 3
        } else if (c === '\\' && i + 1 < line.length) {
          i++
          const e = line[i]!
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e
        } else if (c === '"') {
          if (i + 1 < line.length && !isSpace(line[i + 1]!)) return null
          i++
          break
        } else cur += c
      } else if (insq) {
        if (c === undefined) return null
        if (c === '\\' && line[i + 1] === "'") {
          i++
          cur += "'"
        } else if (c === "'") {
          if (i + 1 < line.length && !isSpace(line[i + 1]!)) return null
          i++
          break
        } else cur += c
      } else {
        if (c === undefined || isSpace(c)) break
        if (c === '"') inq = true
        else if (c === "'") insq = true
        else cur += c
      }
      i++
    }
    out.push(cur)
  }
}

/** A parsed EVAL body: its flags and where the code to compile starts (the shebang line's newline is kept). */
export interface ShebangResult {
  flags: number
  codeStart: number
}

/** evalExtractShebangFlags: returns the flags, or an error message. */
export function parseShebang(body: Uint8Array): ShebangResult | string {
  if (body[0] !== 0x23 || body[1] !== 0x21) return { flags: FLAG_EVAL_COMPAT, codeStart: 0 }
  const nl = body.indexOf(10)
  if (nl < 0) return 'Invalid script shebang'
  const line = Buffer.from(body.subarray(0, nl)).toString('latin1')
  const parts = splitArgs(line)
  if (parts === null || parts.length === 0) return 'Invalid engine in script shebang'
  if (parts[0] !== '#!lua') return `Unexpected engine in script shebang: ${parts[0]}`
  let flags = 0
  for (let j = 1; j < parts.length; j++) {
    const p = parts[j]!
    if (!p.startsWith('flags=')) return `Unknown lua shebang option: ${p}`
    const list = p.slice(6)
    if (list === '') continue
    for (const f of list.split(',')) {
      const bit = flagBit(f)
      if (bit === 0) return `Unexpected flag in script shebang: ${f}`
      flags |= bit
    }
  }
  return { flags, codeStart: nl }
}

/** A parsed FUNCTION LOAD payload: engine, library name and the code after the metadata line. */
export interface LibraryMeta {
  engine: string
  name: string
  codeStart: number
}

/** functionExtractLibMetaData: returns the metadata, or an error message. */
export function parseLibraryMeta(payload: Uint8Array): LibraryMeta | string {
  if (payload[0] !== 0x23 || payload[1] !== 0x21) return 'Missing library metadata'
  const nl = payload.indexOf(10)
  if (nl < 0) return 'Invalid library metadata'
  const parts = splitArgs(Buffer.from(payload.subarray(0, nl)).toString('latin1'))
  if (parts === null || parts.length === 0) return 'Invalid library metadata'
  const engine = parts[0]!.slice(2)
  let name: string | undefined
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!
    if (p.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== undefined) return 'Invalid metadata value, name argument was given multiple times'
      name = p.slice(5)
      continue
    }
    return `Invalid metadata value given: ${p}`
  }
  if (name === undefined) return 'Library name was not given'
  return { engine, name, codeStart: nl }
}

/** Library and function names: `[A-Za-z0-9_]+`. */
export function validName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name)
}
