import { docsTable } from './docs.generated.js'
import { META } from './meta.generated.js'
import './all.js'
import { TABLE, type Command } from './table.js'

/** The supported-commands page (docs/commands.md), generated from the command table. */
export function commandsMarkdown(): string {
  const byGroup = new Map<string, Command[]>()
  for (const c of TABLE.values()) {
    const list = [c, ...(c.subcommands?.values() ?? [])]
    for (const x of list) {
      if (x.subcommands?.size && x.arity !== -1) continue
      const g = x.meta.group
      if (!byGroup.has(g)) byGroup.set(g, [])
      byGroup.get(g)!.push(x)
    }
  }
  const total = [...byGroup.values()].reduce((n, l) => n + l.length, 0)
  const redisTotal = Object.keys(META).length
  let out = `# Supported commands\n\nGenerated from the command table (\`npm run gen:commands\`). ${total} of Redis 7.2's ${redisTotal} commands and subcommands are implemented; arity and flags are Redis's own.\n`
  for (const g of [...byGroup.keys()].sort()) {
    out += `\n## ${g}\n\n| command | arity | flags | summary |\n|---|---:|---|---|\n`
    for (const c of byGroup.get(g)!.sort((a, b) => a.name.localeCompare(b.name))) {
      const d = docsTable()[c.name]
      out += `| ${c.name.toUpperCase().replace('|', ' ')} | ${c.arity} | ${c.meta.flags.join(' ')} | ${d?.summary ?? ''} |\n`
    }
  }
  return out
}
