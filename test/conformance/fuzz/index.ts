/** The differential generators by family name (one line per family). */
import { bitmaps } from './bitmaps.js'
import { commands } from './commands.js'
import { config } from './config.js'
import { encodings } from './encodings.js'
import type { Gen } from './gen.js'
import { geo } from './geo.js'
import { hashes } from './hashes.js'
import { hyperloglog } from './hyperloglog.js'
import { keys } from './keys.js'
import { lists } from './lists.js'
import { mixed } from './mixed.js'
import { scripting } from './scripting.js'
import { sets } from './sets.js'
import { sort } from './sort.js'
import { streams } from './streams.js'
import { strings } from './strings.js'
import { transactions } from './transactions.js'
import { zsets } from './zsets.js'

export const FAMILIES: Record<string, Gen> = {
  strings,
  keys,
  hashes,
  lists,
  sets,
  zsets,
  streams,
  bitmaps,
  hyperloglog,
  geo,
  sort,
  scripting,
  transactions,
  config,
  encodings,
  commands,
  mixed,
}
