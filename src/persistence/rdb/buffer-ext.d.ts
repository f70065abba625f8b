/**
 * Node's Buffer has fast encoding methods that `buf.write(s, off, 'utf8')`
 * and `buf.toString(enc, s, e)` reach only after argument juggling; the hot
 * paths of RDB and AOF encoding call them directly. They exist on every
 * Node Buffer (they back the public methods) but are not in the type
 * declarations.
 */
declare module 'node:buffer' {
  interface Buffer {
    utf8Write(s: string, offset?: number, length?: number): number
    latin1Write(s: string, offset?: number, length?: number): number
    latin1Slice(start: number, end: number): string
    utf8Slice(start: number, end: number): string
  }
}
export {}
