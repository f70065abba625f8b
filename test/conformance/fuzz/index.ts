/** The differential generators by family name (one line per family). */
import type { Gen } from './gen.js'
import { strings } from './strings.js'

export const FAMILIES: Record<string, Gen> = {
  strings,
}
