/** Runs scenarios against a reference server (valkey-server) over RESP. */
import type { Tagged } from '../../src/protocol/resp.js'
import type { ValkeyServer } from '../helpers/valkey.js'
import { commandArgv, parsePseudo, type Scenario } from './harness.js'
import { sleep } from '../helpers/wait.js'


/** Longest wait for one reply; a scenario that blocks longer is broken. */
const REPLY_TIMEOUT = 10_000

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${REPLY_TIMEOUT} ms: ${what}`)), REPLY_TIMEOUT)
  })
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

/**
 * Runs one scenario on a new connection after FLUSHALL; one reply per step
 * (undefined for pseudo-commands).
 */
export async function runOnServer(server: ValkeyServer, scenario: Scenario): Promise<(Tagged | undefined)[]> {
  const client = await server.connect()
  try {
    const flushed = await client.send(['FLUSHALL'])
    if (flushed.t !== 'status') throw new Error(`FLUSHALL failed: ${JSON.stringify(flushed)}`)
    const replies: (Tagged | undefined)[] = []
    for (const step of scenario.steps) {
      if (step.cmd.startsWith('@')) {
        await sleep(parsePseudo(step.cmd).sleep)
        replies.push(undefined)
        continue
      }
      replies.push(await withTimeout(client.send(commandArgv(step.cmd)), step.cmd))
    }
    return replies
  } finally {
    client.close()
  }
}

/** The server's identity for fixture headers, e.g. `valkey 8.0.1 (redis_version 7.2.4)`. */
export async function serverIdentity(server: ValkeyServer): Promise<string> {
  const client = await server.connect()
  try {
    const info = await client.send(['INFO', 'server'])
    const text = info.t === 'bulk' || info.t === 'verbatim' ? info.v : ''
    const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim()
    const valkey = field('valkey_version')
    const redis = field('redis_version') ?? '?'
    return valkey !== undefined ? `valkey ${valkey} (redis_version ${redis})` : `redis ${redis}`
  } finally {
    client.close()
  }
}
