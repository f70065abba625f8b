/**
 * Writes docs/commands.md: every command in the table, by group, with arity,
 * flags and summary. Run with `npm run gen:commands` after adding commands
 * (a test checks the file is current).
 */
import { writeFileSync } from 'node:fs'
import { commandsMarkdown } from '../src/commands/catalog.js'

writeFileSync('docs/commands.md', commandsMarkdown())
console.log('docs/commands.md written')
