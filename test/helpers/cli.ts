/** The `embedis` CLI as a child process, for tests of its process-level behaviour. */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

export interface CliProcess {
  child: ChildProcess
  /** Everything it printed on stdout so far. */
  out(): string
  /** Its exit code, once it exits. */
  exited: Promise<number | null>
  /** The port from its banner (rejects when no banner comes within 15 s). */
  port: Promise<number>
}

/** Starts `embedis --port 0` (plus `args`) under tsx. */
export function spawnCli(args: string[] = []): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const port = new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no banner: ${out}`)), 15_000)
    child.stdout!.on('data', () => {
      const m = /Ready to accept connections on [\d.]+:(\d+)/.exec(out)
      if (m) {
        clearTimeout(t)
        resolve(Number(m[1]))
      }
    })
  })
  return { child, out: () => out, exited, port }
}
