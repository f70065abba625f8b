import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { commandsMarkdown } from '../src/commands/catalog.js'

describe('docs/commands.md', () => {
  it('is generated from the current command table (run `npm run gen:commands`)', () => {
    expect(readFileSync(new URL('../docs/commands.md', import.meta.url), 'utf8')).toBe(commandsMarkdown())
  })

  it('lists the commands by group with Redis arity', () => {
    const md = commandsMarkdown()
    expect(md).toMatch(/\| GET \| 2 \| readonly fast \| Returns the string value of a key\. \|/)
    expect(md).toMatch(/\| CONFIG GET \| -3 \|/)
    expect(md).not.toMatch(/\| CONFIG \| -2 \|/)
  })
})
