import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { spawnCli } from '../helpers/cli.js'
import { RespClient } from '../helpers/valkey.js'

describe('embedis CLI', () => {
  it('main() starts a server with the flags and a banner; close() stops it', async () => {
    const lines: string[] = []
    const running = await main(['--port', '0', '--requirepass', 'pw', '--databases', '4', '--config', 'notify-keyspace-events=KEA'], (l) => lines.push(l))
    expect(running).toBeDefined()
    try {
      expect(lines.join('\n')).toMatch(new RegExp(`Ready to accept connections on 127\\.0\\.0\\.1:${running!.port} \\(AUTH required\\)`))
      const c = await RespClient.open(running!.port)
      expect(await c.send(['PING'])).toEqual({ t: 'error', v: 'NOAUTH Authentication required.' })
      expect(await c.send(['AUTH', 'pw'])).toEqual({ t: 'status', v: 'OK' })
      expect(await c.send(['SELECT', '4'])).toEqual({ t: 'error', v: 'ERR DB index is out of range' })
      expect(await c.send(['CONFIG', 'GET', 'notify-keyspace-events'])).toEqual({
        t: 'array',
        v: [
          { t: 'bulk', v: 'notify-keyspace-events' },
          { t: 'bulk', v: 'AKE' },
        ],
      })
      c.close()
    } finally {
      await running!.close()
    }
  })

  it('--help and --version print and do not start a server; bad flags throw', async () => {
    const out: string[] = []
    expect(await main(['--help'], (l) => out.push(l))).toBeUndefined()
    expect(out[0]).toMatch(/^Usage: embedis/)
    expect(await main(['--version'], (l) => out.push(l))).toBeUndefined()
    expect(out[1]).toBe('embedis (redis_version 7.2.4)')
    await expect(main(['--port', 'x'])).rejects.toThrow("invalid --port 'x'")
    await expect(main(['--bogus'])).rejects.toThrow()
    await expect(main(['--databases', '0'])).rejects.toThrow("invalid --databases '0'")
  })

  it('as a process: serves, then stops cleanly on SIGTERM', async () => {
    const cli = spawnCli()
    const c = await RespClient.open(await cli.port)
    expect(await c.send(['SET', 'k', 'v'])).toEqual({ t: 'status', v: 'OK' })
    expect(await c.send(['GET', 'k'])).toEqual({ t: 'bulk', v: 'v' })
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    expect(cli.out()).toContain('Received SIGTERM, shutting down.')
    c.close()
  }, 30_000)
})

describe('embedis CLI persistence flags', () => {
  it('--dir with --appendonly yes keeps the data across restarts (AOF), and --save writes dump.rdb', async () => {
    const { mkdtempSync, existsSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = mkdtempSync(join(tmpdir(), 'embedis-cli-'))
    const flags = ['--port', '0', '--quiet', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
    let running = await main(flags, () => {})
    let c = await RespClient.open(running!.port)
    expect(await c.send(['SET', 'k', 'v'])).toEqual({ t: 'status', v: 'OK' })
    expect(await c.send(['RPUSH', 'l', 'a', 'b'])).toEqual({ t: 'int', v: '2' })
    c.close()
    await running!.close()
    expect(existsSync(join(dir, 'appendonlydir'))).toBe(true)
    running = await main(flags, () => {})
    c = await RespClient.open(running!.port)
    expect(await c.send(['GET', 'k'])).toEqual({ t: 'bulk', v: 'v' })
    expect(await c.send(['LLEN', 'l'])).toEqual({ t: 'int', v: '2' })
    expect(await c.send(['SAVE'])).toEqual({ t: 'status', v: 'OK' })
    c.close()
    await running!.close()
    expect(existsSync(join(dir, 'dump.rdb'))).toBe(true)
    await expect(main(['--port', '0', '--appendonly', 'maybe'])).rejects.toThrow("invalid --appendonly 'maybe': yes or no")
  })
})
