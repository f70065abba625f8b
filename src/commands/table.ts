import { arityError, replyError, type ReplyError } from '../core/errors.js'
import { Status, type Reply } from '../core/reply.js'
import type { Session } from '../session.js'
import { META } from './meta.generated.js'
import type { CommandMeta } from './meta.js'

/** A raw argument as commands receive it. */
export type Arg = string | Buffer

/** Command flags, as a bitmask for fast checks in the dispatcher. */
export const CF = {
  WRITE: 1 << 0,
  READONLY: 1 << 1,
  DENYOOM: 1 << 2,
  ADMIN: 1 << 3,
  PUBSUB: 1 << 4,
  NOSCRIPT: 1 << 5,
  BLOCKING: 1 << 6,
  LOADING: 1 << 7,
  STALE: 1 << 8,
  FAST: 1 << 9,
  NO_AUTH: 1 << 10,
  MAY_REPLICATE: 1 << 11,
  NO_MULTI: 1 << 12,
  MOVABLEKEYS: 1 << 13,
  ALLOW_BUSY: 1 << 14,
  NO_MANDATORY_KEYS: 1 << 15,
  /**
   * embedis's own: runs a script (EVAL, EVALSHA, FCALL and their _RO forms), whose declared flags
   * decide the command's write, denyoom and stale flags (Redis's scriptFlagsToCmdFlags).
   */
  SCRIPT: 1 << 16,
} as const

const SCRIPT_RUNNERS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro'])

const FLAG_BITS: Record<string, number> = {
  write: CF.WRITE,
  readonly: CF.READONLY,
  denyoom: CF.DENYOOM,
  admin: CF.ADMIN,
  pubsub: CF.PUBSUB,
  noscript: CF.NOSCRIPT,
  blocking: CF.BLOCKING,
  loading: CF.LOADING,
  stale: CF.STALE,
  fast: CF.FAST,
  no_auth: CF.NO_AUTH,
  may_replicate: CF.MAY_REPLICATE,
  no_multi: CF.NO_MULTI,
  movablekeys: CF.MOVABLEKEYS,
  allow_busy: CF.ALLOW_BUSY,
  no_mandatory_keys: CF.NO_MANDATORY_KEYS,
}

/**
 * How a command is written: `parse` turns the raw arguments (after the command
 * name, and after the subcommand name for subcommands) into typed arguments,
 * throwing Redis's exact errors; `run` executes over typed arguments. The typed
 * Store methods call `run` directly.
 */
export interface CommandImpl<A = any> {
  parse(args: Arg[], ctx: Session): A
  run(ctx: Session, a: A): Reply | Promise<Reply>
  /** Key positions in the full argv, for commands whose keys cannot be found from first/last/step. */
  getKeys?(argv: Arg[]): number[]
}

/** A command in the table: its Redis metadata plus its implementation. */
export interface Command<A = any> extends CommandImpl<A> {
  /** Lower-case full name: `get`, `config|get`. */
  readonly name: string
  /** A small number unique to this command, for per-command tables (statistics). */
  readonly id: number
  readonly arity: number
  readonly flags: number
  readonly meta: CommandMeta
  /** Subcommands of a container command (CONFIG, OBJECT, ...), by lower-case name. */
  readonly subcommands?: Map<string, Command>
  /** The container, for a subcommand. */
  readonly parent?: Command
}

/** The one command table: lower-case full name → command. */
export const TABLE = new Map<string, Command>()
/** Lower- and upper-case spellings → command, so the common spellings skip lower-casing. */
const BY_SPELLING = new Map<string, Command>()
let nextId = 0

/** The name `bySpelling` found last, and its command: callers repeat one command, with one string. */
let lastName = ''
let lastCmd: Command | undefined

/** The command for a name spelled all lower- or all upper-case (the common spellings), or undefined. */
export function bySpelling(name: string): Command | undefined {
  if (name === lastName) return lastCmd
  const cmd = BY_SPELLING.get(name)
  if (cmd !== undefined) {
    lastName = name
    lastCmd = cmd
  }
  return cmd
}

function metaOf(name: string): CommandMeta {
  const m = META[name]
  if (!m) throw new Error(`no Redis metadata for command '${name}'`)
  return m
}

function flagsOf(m: CommandMeta): number {
  let f = 0
  for (const s of m.flags) f |= FLAG_BITS[s] ?? 0
  if (m.mayReplicate === true) f |= CF.MAY_REPLICATE
  return f
}

/**
 * Adds a command (or subcommand, named `container|sub`) to the table, taking
 * arity, flags and key positions from Redis's metadata. Returns the command so
 * typed methods can call its `run`.
 */
export function defineCommand<A>(name: string, impl: CommandImpl<A>): Command<A> {
  const meta = metaOf(name)
  const bar = name.indexOf('|')
  const cmd: Command<A> = {
    name,
    id: nextId++,
    arity: meta.arity,
    flags: flagsOf(meta) | (SCRIPT_RUNNERS.has(name) ? CF.SCRIPT : 0),
    meta,
    parse: impl.parse,
    run: impl.run,
    ...(impl.getKeys ? { getKeys: impl.getKeys } : {}),
    ...(bar > 0 ? { parent: containerOf(name.slice(0, bar)) } : {}),
    ...(bar < 0 && meta.subs.length > 0 ? { subcommands: TABLE.get(name)?.subcommands ?? new Map() } : {}),
  }
  if (bar > 0) (cmd.parent!.subcommands as Map<string, Command>).set(name.slice(bar + 1), cmd)
  else {
    TABLE.set(name, cmd)
    BY_SPELLING.set(name, cmd)
    BY_SPELLING.set(name.toUpperCase(), cmd)
  }
  return cmd
}

function containerOf(name: string): Command {
  let c = TABLE.get(name)
  if (c === undefined) {
    const meta = metaOf(name)
    c = {
      name,
      id: nextId++,
      arity: meta.arity,
      flags: flagsOf(meta),
      meta,
      subcommands: new Map(),
      parse: () => undefined,
      run: () => null,
    }
    TABLE.set(name, c)
    BY_SPELLING.set(name, c)
    BY_SPELLING.set(name.toUpperCase(), c)
  }
  return c
}

/** Lower-cases an ASCII command name or keyword. */
export function lower(a: Arg): string {
  const s = typeof a === 'string' ? a : a.toString('latin1')
  return s.toLowerCase()
}

/**
 * Finds the command for an argv, with Redis's exact errors for unknown
 * commands, unknown subcommands and wrong arity. Returns the command and the
 * index of its first argument.
 */
export function resolveCommand(argv: Arg[]): { cmd: Command; argStart: number } | ReplyError {
  const name = argv[0]!
  let cmd = (typeof name === 'string' ? BY_SPELLING.get(name) : undefined) ?? TABLE.get(lower(name))
  if (cmd === undefined) return unknownCommand(argv)
  let argStart = 1
  if (cmd.subcommands !== undefined) {
    if (argv.length === 1) return cmd.arity === -1 ? { cmd, argStart: 1 } : arityError(cmd.name)
    const sub = cmd.subcommands.get(lower(argv[1]!))
    if (sub === undefined) {
      return replyError(
        `unknown subcommand '${text(argv[1]!).slice(0, 128)}'. Try ${text(name).toUpperCase()} HELP.`,
      )
    }
    cmd = sub
    argStart = 2
  }
  const n = argv.length
  if ((cmd.arity > 0 && n !== cmd.arity) || n < -cmd.arity) return arityError(cmd.name)
  return { cmd, argStart }
}

function text(a: Arg): string {
  return typeof a === 'string' ? a : a.toString('utf8')
}

/** `ERR unknown command 'foo', with args beginning with: 'a' 'b' ` exactly as Redis builds it. */
export function unknownCommand(argv: Arg[]): ReplyError {
  let args = ''
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    const a = text(argv[i]!)
    args += `'${a.slice(0, 128 - args.length)}' `
  }
  return replyError(`unknown command '${text(argv[0]!).slice(0, 128)}', with args beginning with: ${args}`)
}

/** Help text lines → the status-array reply HELP subcommands give. */
export function helpReply(container: string, lines: string[]): Reply {
  return [
    new Status(`${container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`),
    ...lines.map((l) => new Status(l)),
    new Status('HELP'),
    new Status('    Print this help.'),
  ]
}
