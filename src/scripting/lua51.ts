/**
 * Lua 5.1's grammar, checked before fengari (a Lua 5.3 compiler) sees a chunk.
 *
 * Redis runs Lua 5.1, which refuses what 5.3 added (`//`, `&`, `|`, `~`, `<<`, `>>`, `goto`,
 * `::label::`, empty statements, statements after `break`, a call's `(` on a new line) and
 * reads some string escapes differently (`"\x41"` is `x41`, `"\z"` is `z`, `"\u{48}"` is
 * `u{48}`, and any other unknown escape is the character itself, where 5.3 refuses it). This
 * module is a syntax-only copy of Lua 5.1.5's lexer and parser (llex.c, lparser.c): it raises the
 * first error 5.1 would, with 5.1's message and line number, and otherwise returns the chunk with
 * every escape 5.3 would read differently replaced by the character 5.1 reads, and with the `arg`
 * local 5.1 gives vararg functions declared after their parameters, so that fengari compiles the
 * same program. A name `goto` needs no rewrite: the patched fengari does not reserve it.
 *
 * One linear pass, no tree: the cost is a small fraction of fengari's own compile, paid once per
 * script (scripts are cached by SHA1).
 */

import { Buffer } from 'node:buffer'
import { isAlnum, isAlpha, isDigit, isSpace } from './ctype.js'

// Tokens: single characters are their byte; the rest follow 5.1's order (llex.h).
const FIRST = 257
const TK_AND = FIRST
const TK_BREAK = FIRST + 1
const TK_DO = FIRST + 2
const TK_ELSE = FIRST + 3
const TK_ELSEIF = FIRST + 4
const TK_END = FIRST + 5
const TK_FALSE = FIRST + 6
const TK_FOR = FIRST + 7
const TK_FUNCTION = FIRST + 8
const TK_IF = FIRST + 9
const TK_IN = FIRST + 10
const TK_LOCAL = FIRST + 11
const TK_NIL = FIRST + 12
const TK_NOT = FIRST + 13
const TK_OR = FIRST + 14
const TK_REPEAT = FIRST + 15
const TK_RETURN = FIRST + 16
const TK_THEN = FIRST + 17
const TK_TRUE = FIRST + 18
const TK_UNTIL = FIRST + 19
const TK_WHILE = FIRST + 20
const TK_CONCAT = FIRST + 21
const TK_DOTS = FIRST + 22
const TK_EQ = FIRST + 23
const TK_GE = FIRST + 24
const TK_LE = FIRST + 25
const TK_NE = FIRST + 26
const TK_NUMBER = FIRST + 27
const TK_NAME = FIRST + 28
const TK_STRING = FIRST + 29
const TK_EOS = FIRST + 30

const TOKENS = [
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'if', 'in', 'local', 'nil', 'not', 'or',
  'repeat', 'return', 'then', 'true', 'until', 'while', '..', '...', '==', '>=', '<=', '~=', '<number>', '<name>', '<string>', '<eof>',
]

const RESERVED = new Map<string, number>()
for (let i = 0; i <= TK_WHILE - FIRST; i++) RESERVED.set(TOKENS[i]!, FIRST + i)

const EOZ = -1

const isNewline = (c: number): boolean => c === 10 || c === 13

/** A numeral that glibc's strtod reads to its end (all luaO_str2d accepts for a lexed numeral). */
const NUMERAL = /^(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)$/

/** The escapes that mean the same in 5.1 and 5.3; any other non-digit after `\` is rewritten. */
const SAME_ESCAPE = new Uint8Array(256)
for (const c of 'abfnrtv\\"\'\n\r') SAME_ESCAPE[c.charCodeAt(0)] = 1

/** A Lua 5.1 compile error: the line and the message after `chunk:line: `. */
class SyntaxError51 {
  constructor(
    readonly line: number,
    readonly text: Uint8Array,
  ) {}
}

interface Block {
  previous: Block | null
  loop: boolean
  /** Active locals when the block opened (restored when it closes). */
  nactvar: number
}

interface Func {
  previous: Func | null
  vararg: boolean
  /** Whether the body reads `...` (if not, 5.1 fills the `arg` local with the varargs). */
  usesDots: boolean
  block: Block | null
  /** Active local variables (LUAI_MAXVARS = 200 per function). */
  nactvar: number
  /** The names of the local variables by register (those below `nactvar` are active). */
  names: string[]
  /**
   * The upvalues, as 5.1 tells them apart: a local register (`L3`) or an upvalue (`U0`) of the enclosing
   * function (LUAI_MAXUPVALUES = 60 per function).
   */
  upvalues: string[]
  /** The line of `function` (0 for the main chunk), for limit errors. */
  linedefined: number
}

/** The hidden locals of numeric and generic for loops (names no script can spell). */
const FORNUM_HIDDEN = ['(for index)', '(for limit)', '(for step)']
const FORLIST_HIDDEN = ['(for generator)', '(for state)', '(for control)']

/** Expression kinds that matter to the grammar (lparser.c's expkind, reduced). */
const E_VAR = 1 // assignable: local, upvalue, global, indexed
const E_CALL = 2
const E_OTHER = 3

class Parser {
  private readonly src: Uint8Array
  private p = 0
  private current: number
  private line = 1
  private lastline = 1
  // The current token and the lookahead (only the table constructor looks ahead).
  private token = 0
  private ahead = TK_EOS
  private hasAhead = false
  // The lexer's save buffer: the text of the last NAME, STRING or NUMBER read (5.1's txtToken).
  private buf = new Uint8Array(64)
  private n = 0
  /** The current NAME's text while a lookahead has overwritten the save buffer. */
  private savedName: string | undefined
  private fs: Func | null = null
  private level = 0
  /** Start and end offsets of escapes to rewrite (`\x` → `x`), in source order. */
  readonly edits: number[] = []
  /** Text to insert at an offset (the `arg` local of vararg functions), in order of their functions' ends. */
  readonly inserts: Array<[number, Uint8Array]> = []

  constructor(src: Uint8Array) {
    this.src = src
    this.current = src.length > 0 ? src[0]! : EOZ
  }

  // ------------------------------------------------------------ lexer

  // (Read through methods: the compiler would otherwise narrow the fields across calls that change them.)
  private cur(): number {
    return this.current
  }

  private tok(): number {
    return this.token
  }

  private next(): void {
    const p = ++this.p
    this.current = p < this.src.length ? this.src[p]! : EOZ
  }

  private save(c: number): void {
    if (this.n === this.buf.length) {
      const b = new Uint8Array(this.buf.length * 2)
      b.set(this.buf)
      this.buf = b
    }
    this.buf[this.n++] = c
  }

  private saveAndNext(): void {
    this.save(this.cur())
    this.next()
  }

  private checkNext(set: string): boolean {
    if (this.cur() === EOZ || !set.includes(String.fromCharCode(this.cur()))) return false
    this.saveAndNext()
    return true
  }

  private incLine(): void {
    const old = this.cur()
    this.next()
    if (isNewline(this.cur()) && this.cur() !== old) this.next()
    this.line++
  }

  private text(): string {
    return Buffer.from(this.buf.buffer, 0, this.n).toString('latin1')
  }

  private tokenText(token: number): string {
    if (token === TK_NAME || token === TK_STRING || token === TK_NUMBER) {
      // A C string: the text ends at its first NUL byte.
      const t = this.text()
      const z = t.indexOf('\0')
      return z < 0 ? t : t.slice(0, z)
    }
    if (token < FIRST) return token < 32 || token === 127 ? `char(${token})` : String.fromCharCode(token)
    return TOKENS[token - FIRST]!
  }

  /** luaX_lexerror: `msg`, and `near '<token>'` when a token is given. */
  private lexError(msg: string, token: number): never {
    const full = token !== 0 ? `${msg} near '${this.tokenText(token)}'` : msg
    throw new SyntaxError51(this.line, Buffer.from(full, 'latin1'))
  }

  private syntaxError(msg: string): never {
    return this.lexError(msg, this.tok())
  }

  /** The current character as a token, or `withEq` when '=' follows it. */
  private orWithEq(single: number, withEq: number): number {
    this.next()
    if (this.cur() !== 61) return single
    this.next()
    return withEq
  }

  private skipSep(): number {
    let count = 0
    const s = this.cur()
    this.saveAndNext()
    while (this.cur() === 61) {
      this.saveAndNext()
      count++
    }
    return this.cur() === s ? count : -count - 1
  }

  private readLongString(isString: boolean, sep: number): void {
    this.saveAndNext()
    if (isNewline(this.cur())) this.incLine()
    for (;;) {
      switch (this.cur()) {
        case EOZ:
          this.lexError(isString ? 'unfinished long string' : 'unfinished long comment', TK_EOS)
        // falls through (unreachable)
        case 91: // '['
          if (this.skipSep() === sep) {
            this.saveAndNext()
            // LUA_COMPAT_LSTR == 1
            if (sep === 0) this.lexError('nesting of [[...]] is deprecated', 91)
          }
          break
        case 93: // ']'
          if (this.skipSep() === sep) {
            this.saveAndNext()
            return
          }
          break
        case 10:
        case 13:
          this.save(10)
          this.incLine()
          if (!isString) this.n = 0
          break
        default:
          if (isString) this.saveAndNext()
          else this.next()
      }
    }
  }

  private readString(del: number): void {
    this.saveAndNext()
    while (this.cur() !== del) {
      switch (this.cur()) {
        case EOZ:
          this.lexError('unfinished string', TK_EOS)
        // falls through (unreachable)
        case 10:
        case 13:
          this.lexError('unfinished string', TK_STRING)
        // falls through (unreachable)
        case 92: {
          // '\\'
          const at = this.p
          this.next()
          const c = this.cur()
          let v: number
          switch (c) {
            case 97: v = 7; break
            case 98: v = 8; break
            case 102: v = 12; break
            case 110: v = 10; break
            case 114: v = 13; break
            case 116: v = 9; break
            case 118: v = 11; break
            case 10:
            case 13:
              this.save(10)
              this.incLine()
              continue
            case EOZ:
              continue
            default:
              if (!isDigit(c)) {
                // \\, \", \' and any other character: the character itself.
                if (SAME_ESCAPE[c] === 0) this.edits.push(at, at + 1)
                this.saveAndNext()
              } else {
                let i = 0
                v = 0
                do {
                  v = 10 * v + (this.cur() - 48)
                  this.next()
                } while (++i < 3 && isDigit(this.cur()))
                if (v > 255) this.lexError('escape sequence too large', TK_STRING)
                this.save(v)
              }
              continue
          }
          this.save(v)
          this.next()
          continue
        }
        default:
          this.saveAndNext()
      }
    }
    this.saveAndNext()
  }

  private readNumeral(): void {
    do this.saveAndNext()
    while (isDigit(this.cur()) || this.cur() === 46)
    if (this.checkNext('Ee')) this.checkNext('+-')
    while (isAlnum(this.cur()) || this.cur() === 95) this.saveAndNext()
    if (!NUMERAL.test(this.text())) this.lexError('malformed number', TK_NUMBER)
  }

  private llex(): number {
    this.n = 0
    for (;;) {
      const c = this.cur()
      switch (c) {
        case 10:
        case 13:
          this.incLine()
          continue
        case 45: // '-'
          this.next()
          if (this.cur() !== 45) return 45
          this.next()
          if (this.cur() === 91) {
            const sep = this.skipSep()
            this.n = 0
            if (sep >= 0) {
              this.readLongString(false, sep)
              this.n = 0
              continue
            }
          }
          while (!isNewline(this.cur()) && this.cur() !== EOZ) this.next()
          continue
        case 91: {
          // '['
          const sep = this.skipSep()
          if (sep >= 0) {
            this.readLongString(true, sep)
            return TK_STRING
          }
          if (sep === -1) return 91
          return this.lexError('invalid long string delimiter', TK_STRING)
        }
        case 61: // '=' or '=='
          return this.orWithEq(61, TK_EQ)
        case 60: // '<' or '<='
          return this.orWithEq(60, TK_LE)
        case 62: // '>' or '>='
          return this.orWithEq(62, TK_GE)
        case 126: // '~' or '~='
          return this.orWithEq(126, TK_NE)
        case 34:
        case 39:
          this.readString(c)
          return TK_STRING
        case 46: // '.'
          this.saveAndNext()
          if (this.checkNext('.')) return this.checkNext('.') ? TK_DOTS : TK_CONCAT
          if (!isDigit(this.cur())) return 46
          this.readNumeral()
          return TK_NUMBER
        case EOZ:
          return TK_EOS
        default:
          if (isSpace(c)) {
            this.next()
            continue
          }
          if (isDigit(c)) {
            this.readNumeral()
            return TK_NUMBER
          }
          if (isAlpha(c) || c === 95) {
            do this.saveAndNext()
            while (isAlnum(this.cur()) || this.cur() === 95)
            // Reserved words are 2 to 8 lower-case letters.
            return this.n < 2 || this.n > 8 || this.buf[0]! < 97 ? TK_NAME : (RESERVED.get(this.text()) ?? TK_NAME)
          }
          this.next()
          return c
      }
    }
  }

  private luaXNext(): void {
    this.lastline = this.line
    if (this.hasAhead) {
      this.token = this.ahead
      this.hasAhead = false
      this.savedName = undefined
    } else this.token = this.llex()
  }

  private lookahead(): number {
    if (this.token === TK_NAME) this.savedName = this.text()
    this.ahead = this.llex()
    this.hasAhead = true
    return this.ahead
  }

  // ------------------------------------------------------------ parser helpers

  private tokenName(token: number): string {
    return token < FIRST ? String.fromCharCode(token) : TOKENS[token - FIRST]!
  }

  private testNext(c: number): boolean {
    if (this.tok() !== c) return false
    this.luaXNext()
    return true
  }

  private check(c: number): void {
    if (this.tok() !== c) this.syntaxError(`'${this.tokenName(c)}' expected`)
  }

  private checkNextTok(c: number): void {
    this.check(c)
    this.luaXNext()
  }

  private checkMatch(what: number, who: number, where: number): void {
    if (!this.testNext(what)) {
      if (where === this.line) this.check(what)
      else this.syntaxError(`'${this.tokenName(what)}' expected (to close '${this.tokenName(who)}' at line ${where})`)
    }
  }

  /** str_checkname: the NAME, consumed. */
  private checkName(): string {
    this.check(TK_NAME)
    const name = this.savedName ?? this.text()
    this.luaXNext()
    return name
  }

  private enterLevel(): void {
    // LUAI_MAXCCALLS: the C stack guard of the recursive descent.
    if (++this.level > 200) this.lexError('chunk has too many syntax levels', 0)
  }

  private blockFollow(): boolean {
    const t = this.tok()
    return t === TK_ELSE || t === TK_ELSEIF || t === TK_END || t === TK_UNTIL || t === TK_EOS
  }

  private enterBlock(loop: boolean): void {
    const fs = this.fs!
    fs.block = { previous: fs.block, loop, nactvar: fs.nactvar }
  }

  private leaveBlock(): void {
    const fs = this.fs!
    fs.nactvar = fs.block!.nactvar
    fs.block = fs.block!.previous
  }

  private openFunc(vararg: boolean, linedefined: number): void {
    this.fs = { previous: this.fs, vararg, usesDots: false, block: null, nactvar: 0, names: [], upvalues: [], linedefined }
  }

  /** lparser.c's errorlimit (of the function being parsed, or of `fs`). */
  private errorLimit(limit: number, what: string, fs: Func = this.fs!): never {
    const where = fs.linedefined === 0 ? 'main function' : `function at line ${fs.linedefined}`
    return this.lexError(`${where} has more than ${limit} ${what}`, 0)
  }

  /** new_localvar: the `pending`-th new variable of a statement, active once `nactvar` counts it. */
  private newLocal(pending: number, name: string): void {
    const fs = this.fs!
    if (fs.nactvar + pending + 1 > 200) this.errorLimit(200, 'local variables')
    fs.names[fs.nactvar + pending] = name
  }

  /** singlevar: resolves a variable name, giving each function between its local and here an upvalue. */
  private singleVar(name: string): void {
    this.singleVarAux(this.fs!, name)
  }

  /** singlevaraux: `L<register>` for a local of `fs`, `U<index>` for an upvalue of it, undefined for a global. */
  private singleVarAux(fs: Func | null, name: string): string | undefined {
    if (fs === null) return undefined
    for (let i = fs.nactvar - 1; i >= 0; i--) if (fs.names[i] === name) return `L${i}`
    const outer = this.singleVarAux(fs.previous, name)
    if (outer === undefined) return undefined
    // indexupvalue: one upvalue per variable reached (the same register twice is the same one).
    let i = fs.upvalues.indexOf(outer)
    if (i < 0) {
      if (fs.upvalues.length + 1 > 60) this.errorLimit(60, 'upvalues', fs)
      i = fs.upvalues.push(outer) - 1
    }
    return `U${i}`
  }

  private closeFunc(): void {
    this.fs = this.fs!.previous
  }

  // ------------------------------------------------------------ grammar (lparser.c)

  parse(): void {
    this.openFunc(true, 0)
    this.luaXNext()
    this.chunk()
    this.check(TK_EOS)
    this.closeFunc()
  }

  private chunk(): void {
    let last = false
    this.enterLevel()
    while (!last && !this.blockFollow()) {
      last = this.statement()
      this.testNext(59)
    }
    this.level--
  }

  private block(): void {
    this.enterBlock(false)
    this.chunk()
    this.leaveBlock()
  }

  private field(): void {
    this.luaXNext()
    this.checkName()
  }

  private yindex(): void {
    this.luaXNext()
    this.expr()
    this.checkNextTok(93)
  }

  private recfield(): void {
    if (this.tok() === TK_NAME) this.checkName()
    else this.yindex()
    this.checkNextTok(61)
    this.expr()
  }

  private constructor_(): void {
    const line = this.line
    this.checkNextTok(123)
    do {
      if (this.tok() === 125) break
      switch (this.tok()) {
        case TK_NAME:
          if (this.lookahead() !== 61) this.expr()
          else this.recfield()
          break
        case 91:
          this.recfield()
          break
        default:
          this.expr()
      }
    } while (this.testNext(44) || this.testNext(59))
    this.checkMatch(125, 123, line)
  }

  private parlist(): void {
    const fs = this.fs!
    let n = 0
    if (this.tok() !== 41) {
      do {
        switch (this.tok()) {
          case TK_NAME:
            this.newLocal(n, this.checkName())
            n++
            break
          case TK_DOTS:
            this.luaXNext()
            // LUA_COMPAT_VARARG: a vararg function also gets a local `arg`.
            this.newLocal(n++, 'arg')
            fs.vararg = true
            break
          default:
            this.syntaxError("<name> or '...' expected")
        }
      } while (!fs.vararg && this.testNext(44))
    }
    fs.nactvar += n
  }

  private body(line: number, method: boolean): void {
    this.openFunc(false, line)
    const fs = this.fs!
    if (method) {
      fs.names[0] = 'self'
      fs.nactvar = 1
    }
    this.checkNextTok(40)
    this.parlist()
    this.check(41)
    const afterParams = this.p
    this.luaXNext()
    this.chunk()
    this.checkMatch(TK_END, TK_FUNCTION, line)
    // LUA_COMPAT_VARARG: the `arg` local holds the varargs and their count `n`, unless the body
    // reads `...` (then it is nil). Declared on the parameters' line, so line numbers hold.
    if (fs.vararg) this.inserts.push([afterParams, fs.usesDots ? ARG_NIL : ARG_TABLE])
    this.closeFunc()
  }

  private explist1(): void {
    this.expr()
    while (this.testNext(44)) this.expr()
  }

  private funcargs(): void {
    const line = this.line
    switch (this.tok()) {
      case 40:
        if (line !== this.lastline) this.syntaxError('ambiguous syntax (function call x new statement)')
        this.luaXNext()
        if (this.tok() !== 41) this.explist1()
        this.checkMatch(41, 40, line)
        break
      case 123:
        this.constructor_()
        break
      case TK_STRING:
        this.luaXNext()
        break
      default:
        this.syntaxError('function arguments expected')
    }
  }

  private prefixexp(): number {
    switch (this.tok()) {
      case 40: {
        const line = this.line
        this.luaXNext()
        this.expr()
        this.checkMatch(41, 40, line)
        return E_OTHER
      }
      case TK_NAME:
        this.singleVar(this.checkName())
        return E_VAR
      default:
        return this.syntaxError('unexpected symbol')
    }
  }

  private primaryexp(): number {
    let k = this.prefixexp()
    for (;;) {
      switch (this.tok()) {
        case 46:
          this.field()
          k = E_VAR
          break
        case 91:
          this.yindex()
          k = E_VAR
          break
        case 58:
          this.luaXNext()
          this.checkName()
          this.funcargs()
          k = E_CALL
          break
        case 40:
        case TK_STRING:
        case 123:
          this.funcargs()
          k = E_CALL
          break
        default:
          return k
      }
    }
  }

  private simpleexp(): void {
    switch (this.tok()) {
      case TK_NUMBER:
      case TK_STRING:
      case TK_NIL:
      case TK_TRUE:
      case TK_FALSE:
        break
      case TK_DOTS:
        if (!this.fs!.vararg) this.syntaxError("cannot use '...' outside a vararg function")
        this.fs!.usesDots = true
        break
      case 123:
        this.constructor_()
        return
      case TK_FUNCTION:
        this.luaXNext()
        this.body(this.line, false)
        return
      default:
        this.primaryexp()
        return
    }
    this.luaXNext()
  }

  /** The left and right priorities of a binary operator token, 0 when it is none (lparser.c's priority[]). */
  private static priority(t: number): number {
    switch (t) {
      case 43: case 45: return 0x0606
      case 42: case 47: case 37: return 0x0707
      case 94: return 0x0a09
      case TK_CONCAT: return 0x0504
      case TK_NE: case TK_EQ: case 60: case TK_LE: case 62: case TK_GE: return 0x0303
      case TK_AND: return 0x0202
      case TK_OR: return 0x0101
      default: return 0
    }
  }

  /** subexpr -> (simpleexp | unop subexpr) { binop subexpr }, binops above `limit` only. */
  private subexpr(limit: number): void {
    this.enterLevel()
    if (this.tok() === TK_NOT || this.tok() === 45 || this.tok() === 35) {
      this.luaXNext()
      this.subexpr(8)
    } else this.simpleexp()
    let pr = Parser.priority(this.tok())
    while (pr !== 0 && pr >> 8 > limit) {
      this.luaXNext()
      this.subexpr(pr & 0xff)
      pr = Parser.priority(this.tok())
    }
    this.level--
  }

  private expr(): void {
    this.subexpr(0)
  }

  private assignment(k: number, nvars: number): void {
    if (k !== E_VAR) this.syntaxError('syntax error')
    if (this.testNext(44)) {
      const nk = this.primaryexp()
      // 5.1 bounds the targets by what is left of the C stack guard.
      if (nvars > 200 - this.level) this.errorLimit(200 - this.level, 'variables in assignment')
      this.assignment(nk, nvars + 1)
    } else {
      this.checkNextTok(61)
      this.explist1()
    }
  }

  private exprstat(): void {
    const k = this.primaryexp()
    if (k !== E_CALL) this.assignment(k, 1)
  }

  private cond(): void {
    this.expr()
  }

  private breakstat(): void {
    let bl = this.fs!.block
    while (bl !== null && !bl.loop) bl = bl.previous
    if (bl === null) this.syntaxError('no loop to break')
  }

  private whilestat(line: number): void {
    this.luaXNext()
    this.cond()
    this.enterBlock(true)
    this.checkNextTok(TK_DO)
    this.block()
    this.checkMatch(TK_END, TK_WHILE, line)
    this.leaveBlock()
  }

  private repeatstat(line: number): void {
    this.enterBlock(true)
    this.enterBlock(false)
    this.luaXNext()
    this.chunk()
    this.checkMatch(TK_UNTIL, TK_REPEAT, line)
    this.cond()
    this.leaveBlock()
    this.leaveBlock()
  }

  private forbody(nvars: number): void {
    this.fs!.nactvar += 3 // the loop's hidden control variables
    this.checkNextTok(TK_DO)
    this.enterBlock(false)
    this.fs!.nactvar += nvars
    this.block()
    this.leaveBlock()
  }

  private forstat(line: number): void {
    this.enterBlock(true)
    this.luaXNext()
    const first = this.checkName()
    let nvars = 4
    switch (this.tok()) {
      case 61:
        for (let i = 0; i < 4; i++) this.newLocal(i, i < 3 ? FORNUM_HIDDEN[i]! : first)
        this.luaXNext()
        this.expr()
        this.checkNextTok(44)
        this.expr()
        if (this.testNext(44)) this.expr()
        break
      case 44:
      case TK_IN:
        for (let i = 0; i < 4; i++) this.newLocal(i, i < 3 ? FORLIST_HIDDEN[i]! : first)
        while (this.testNext(44)) {
          this.newLocal(nvars, this.checkName())
          nvars++
        }
        this.checkNextTok(TK_IN)
        this.explist1()
        break
      default:
        this.syntaxError("'=' or 'in' expected")
    }
    this.forbody(nvars - 3)
    this.checkMatch(TK_END, TK_FOR, line)
    this.leaveBlock()
  }

  private testThenBlock(): void {
    this.luaXNext()
    this.cond()
    this.checkNextTok(TK_THEN)
    this.block()
  }

  private ifstat(line: number): void {
    this.testThenBlock()
    while (this.tok() === TK_ELSEIF) this.testThenBlock()
    if (this.tok() === TK_ELSE) {
      this.luaXNext()
      this.block()
    }
    this.checkMatch(TK_END, TK_IF, line)
  }

  private funcstat(line: number): void {
    this.luaXNext()
    this.singleVar(this.checkName())
    while (this.tok() === 46) this.field()
    const method = this.tok() === 58
    if (method) this.field()
    this.body(line, method)
  }

  private localstat(): void {
    let n = 0
    do {
      this.newLocal(n, this.checkName())
      n++
    } while (this.testNext(44))
    if (this.testNext(61)) this.explist1()
    this.fs!.nactvar += n
  }

  private retstat(): void {
    this.luaXNext()
    if (this.blockFollow() || this.tok() === 59) return
    this.explist1()
  }

  /** One statement; true when it must be the last of its block (return, break). */
  private statement(): boolean {
    const line = this.line
    switch (this.tok()) {
      case TK_IF:
        this.ifstat(line)
        return false
      case TK_WHILE:
        this.whilestat(line)
        return false
      case TK_DO:
        this.luaXNext()
        this.block()
        this.checkMatch(TK_END, TK_DO, line)
        return false
      case TK_FOR:
        this.forstat(line)
        return false
      case TK_REPEAT:
        this.repeatstat(line)
        return false
      case TK_FUNCTION:
        this.funcstat(line)
        return false
      case TK_LOCAL:
        this.luaXNext()
        if (this.testNext(TK_FUNCTION)) {
          this.newLocal(0, this.checkName())
          this.fs!.nactvar++
          this.body(line, false)
        } else this.localstat()
        return false
      case TK_RETURN:
        this.retstat()
        return true
      case TK_BREAK:
        this.luaXNext()
        this.breakstat()
        return true
      default:
        this.exprstat()
        return false
    }
  }
}

/** The outcome of {@link checkLua51}: the chunk to give fengari, or 5.1's compile error. */
export type Lua51Result = { ok: true; code: Uint8Array } | { ok: false; error: Uint8Array }

const ASCII = (t: string): Uint8Array => Buffer.from(t, 'latin1')

/**
 * Checks `src` against Lua 5.1's grammar. On success returns the chunk to compile (`src` itself
 * unless an escape had to be rewritten); on failure the error message as Lua 5.1 words it,
 * `<chunk>:<line>: <message>`, where `chunk` is the chunk id (`user_script`, `[string "..."]`).
 */
export function checkLua51(src: Uint8Array, chunk: string): Lua51Result {
  const p = new Parser(src)
  try {
    p.parse()
  } catch (e) {
    if (!(e instanceof SyntaxError51)) throw e
    const head = ASCII(`${chunk}:${e.line}: `)
    const out = new Uint8Array(head.length + e.text.length)
    out.set(head)
    out.set(e.text, head.length)
    return { ok: false, error: out }
  }
  const ed = p.edits
  if (ed.length === 0 && p.inserts.length === 0) return { ok: true, code: src }
  // Drop each rewritten escape's backslash; insert the `arg` locals.
  const cuts: Array<[number, number, Uint8Array | null]> = []
  for (let i = 0; i < ed.length; i += 2) cuts.push([ed[i]!, ed[i + 1]!, null])
  for (const [at, text] of p.inserts) cuts.push([at, at, text])
  cuts.sort((a, b) => a[0] - b[0])
  const parts: Uint8Array[] = []
  let from = 0
  for (const [at, to, text] of cuts) {
    parts.push(src.subarray(from, at))
    if (text !== null) parts.push(text)
    from = to
  }
  parts.push(src.subarray(from))
  return { ok: true, code: Buffer.concat(parts) }
}

const ARG_TABLE = ASCII(" local arg = {n = select('#', ...), ...};")
const ARG_NIL = ASCII(' local arg;')

/** luaO_chunkid of Lua 5.1 as its lexer calls it (MAXSRC = 80), for a chunk name given as bytes. */
export function chunkId(name: Uint8Array): string {
  const s = Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString('latin1')
  const z = s.indexOf('\0')
  const src = z < 0 ? s : s.slice(0, z)
  if (src[0] === '=') return src.slice(1, 80)
  if (src[0] === '@') {
    const rest = src.slice(1)
    return rest.length <= 72 ? rest : '...' + rest.slice(rest.length - 72)
  }
  let len = src.search(/[\n\r]/)
  if (len < 0) len = src.length
  if (len > 63) len = 63
  return len < src.length ? `[string "${src.slice(0, len)}..."]` : `[string "${src}"]`
}
