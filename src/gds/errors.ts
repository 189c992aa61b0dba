import { oneLineMessage } from './names.js'
import { recordName } from './records.js'

/** Where in which file a problem was found, and what the reader expected there. */
export interface GdsErrorInfo {
  file?: string
  offset?: number
  record?: number | string
  expected: string
  cells?: string[]
}

/**
 * The one error type of the GDSII layer. Its message reads
 * `<file>: byte <offset>: <RECORD>: <what was expected>` so a user can find the spot in a hex dump; it is
 * always one line (names from the file are escaped where the message is made, see names.ts; anything else is
 * escaped here).
 */
export class GdsError extends Error {
  readonly file: string | undefined
  readonly offset: number | undefined
  readonly record: string | undefined
  readonly expected: string
  readonly cells: string[] | undefined

  constructor(info: GdsErrorInfo) {
    const record = typeof info.record === 'number' ? recordName(info.record) : info.record
    const parts: string[] = []
    if (info.file !== undefined) parts.push(info.file)
    if (info.offset !== undefined) parts.push(`byte ${info.offset}`)
    if (record !== undefined) parts.push(record)
    parts.push(info.expected)
    super(oneLineMessage(parts.join(': ')))
    this.name = 'GdsError'
    this.file = info.file
    this.offset = info.offset
    this.record = record
    this.expected = info.expected
    this.cells = info.cells
  }
}
