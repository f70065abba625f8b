/**
 * Key extraction from the command table: COMMAND GETKEYS / GETKEYSANDFLAGS on other families'
 * command lines. (COMMAND INFO, LIST and COUNT are recorded scenarios instead: valkey 8 has
 * commands and flags Redis 7.2 lacks.)
 */
import { type Gen, type Rng } from './gen.js'
import { FAMILIES } from './index.js'

/** A command line from another family's generator (the families are read at run time: index.ts imports this file). */
function other(r: Rng): string[] {
  const names = Object.keys(FAMILIES).filter((n) => n !== 'commands')
  return FAMILIES[r.pick(names)]!(r).argv
}

const GENS: Array<readonly [number, Gen]> = [
  [6, (r) => ({ argv: ['COMMAND', 'GETKEYS', ...other(r)] })],
  [3, (r) => {
    const argv = other(r)
    // Redis 7.2 declares SINTERSTORE's destination RW; valkey 8 corrected it to OW.
    return { argv: ['COMMAND', argv[0]!.toUpperCase() === 'SINTERSTORE' ? 'GETKEYS' : 'GETKEYSANDFLAGS', ...argv] }
  }],
  [1, (r) => ({ argv: ['COMMAND', 'GETKEYS', ...(r.chance(0.5) ? [] : [r.pick(['nosuch', 'GET', 'PING', 'set'])])] })],
]

export const commands: Gen = (r) => r.weighted(GENS)(r)
