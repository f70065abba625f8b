import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { RespClient } from '../helpers/valkey.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

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
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no banner: ${out}`)), 15_000)
      child.stdout.on('data', () => {
        const m = /Ready to accept connections on [\d.]+:(\d+)/.exec(out)
        if (m) {
          clearTimeout(t)
          resolve(Number(m[1]))
        }
      })
    })
    const c = await RespClient.open(port)
    expect(await c.send(['SET', 'k', 'v'])).toEqual({ t: 'status', v: 'OK' })
    expect(await c.send(['GET', 'k'])).toEqual({ t: 'bulk', v: 'v' })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).toContain('Received SIGTERM, shutting down.')
    c.close()
  }, 30_000)
})
