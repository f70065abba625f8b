/**
 * Rules about the source itself that the type checker cannot see.
 *
 * In an ES module on Node 20, `Buffer`, `performance` and `process` are accessor properties of
 * the global object: every read of the global calls a getter (about 7 ns, measured). Hot paths
 * (argument conversion, memory accounting, the RESP server's parser and timing) read them per
 * command, so modules import them instead, which is a plain binding.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../src', import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

/** The code without comments and string contents (a word in a message is not a use). */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, "''")
}

/** A read of the global `name` as a value: a member of it, or `instanceof` it (a method named `process()` is not one). */
const usePattern = (name: string): RegExp => new RegExp(`(?<![.\\w$])${name}\\s*\\.|instanceof\\s+${name}\\b`)

const ACCESSORS: Array<[name: string, module: string]> = [
  ['Buffer', 'node:buffer'],
  ['performance', 'node:perf_hooks'],
  ['process', 'node:process'],
]

describe('source', () => {
  it('imports Buffer, performance and process where it uses them as values', () => {
    const files = sources(SRC)
    expect(files.length).toBeGreaterThan(50)
    const missing: string[] = []
    for (const f of files) {
      const text = readFileSync(f, 'utf8')
      const body = code(text)
      for (const [name, mod] of ACCESSORS) {
        const used = usePattern(name).test(body)
        const imported =
          new RegExp(`import\\s*\\{[^}]*\\b${name}\\b[^}]*\\}\\s*from\\s*'${mod}'`).test(text) ||
          new RegExp(`import\\s+${name}\\s+from\\s*'${mod}'`).test(text)
        if (used && !imported) missing.push(`${f.slice(SRC.length + 1)}: ${name}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('the check sees a use of the global', () => {
    expect(usePattern('Buffer').test(code('const b = Buffer.from(x)'))).toBe(true)
    expect(usePattern('Buffer').test(code('if (v instanceof Buffer) f()'))).toBe(true)
    expect(usePattern('performance').test(code('const t = performance.now()'))).toBe(true)
    expect(usePattern('Buffer').test(code("// Buffer.from in a comment\nconst s = 'Buffer.from'"))).toBe(false)
    expect(usePattern('Buffer').test(code('function f(b: Buffer): Buffer[] { return [b] }'))).toBe(false)
    expect(usePattern('process').test(code('class C { private process(): void { this.process() } }'))).toBe(false)
  })
})
