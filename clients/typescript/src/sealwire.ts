// SEAL objects on the wire: a 16-byte header (magic, header size, version, compression,
// total size), then the members, compressed as a whole. Keys and ciphertexts nest their
// polynomial data as a second, never compressed, SEAL object with a header of its own.
//
// SEAL loads only objects stamped with its own minor version: node-seal carries SEAL 4.1,
// TenSEAL another 4.x, with the same member layout. Objects crossing between the two are
// decompressed and restamped here (both headers) and written uncompressed.
import { decompress as zstdDecompress } from 'fzstd'

export const SEAL_MAGIC = 0xa15e
export const HEADER_BYTES = 16
export const CIPHERTEXT_MEMBERS = 73 // PublicKey and Ciphertext: metadata before the data
export const PLAINTEXT_MEMBERS = 48 // SecretKey (a Plaintext): metadata before the data
const COMPRESSION_NONE = 0
const COMPRESSION_ZSTD = 2

export type SealVersion = [number, number]

export interface SealHeader {
  version: SealVersion
  compression: number
  size: number
}

export function headerRead(blob: Uint8Array): SealHeader {
  if (blob.length < HEADER_BYTES) throw new Error('not a SEAL object: too short')
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength)
  if (view.getUint16(0, true) !== SEAL_MAGIC || blob[2] !== HEADER_BYTES) throw new Error('not a SEAL object')
  return {
    version: [blob[3], blob[4]],
    compression: blob[5],
    size: Number(view.getBigUint64(8, true))
  }
}

export function isSealObject(blob: Uint8Array): boolean {
  return blob.length >= 2 && blob[0] === 0x5e && blob[1] === 0xa1
}

/** The uncompressed members of a SEAL object. */
export function members(blob: Uint8Array): Uint8Array {
  const header = headerRead(blob)
  const body = blob.subarray(HEADER_BYTES, header.size)
  if (header.compression === COMPRESSION_NONE) return body
  if (header.compression === COMPRESSION_ZSTD) return zstdDecompress(body)
  throw new Error('SEAL objects compressed with zlib are not supported; save them with zstd or none')
}

/**
 * The same object stamped `version`, uncompressed. `nested` lists where nested SEAL
 * objects start inside the members (their headers are stamped too).
 */
export function restamp(blob: Uint8Array, version: SealVersion, nested: number[]): Uint8Array {
  const body = members(blob)
  const out = new Uint8Array(HEADER_BYTES + body.length)
  out.set(body, HEADER_BYTES)
  for (const offset of nested) {
    const at = HEADER_BYTES + offset
    headerRead(out.subarray(at)) // a nested object must be where the layout says
    out[at + 3] = version[0]
    out[at + 4] = version[1]
  }
  const view = new DataView(out.buffer)
  view.setUint16(0, SEAL_MAGIC, true)
  out[2] = HEADER_BYTES
  out[3] = version[0]
  out[4] = version[1]
  out[5] = COMPRESSION_NONE
  view.setUint16(6, 0, true)
  view.setBigUint64(8, BigInt(out.length), true)
  return out
}

/** Nested objects of EncryptionParameters: each coefficient modulus, then the plain modulus. */
export function parmsNestedOffsets(blob: Uint8Array): number[] {
  const body = members(blob)
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength)
  const count = Number(view.getBigUint64(9, true)) // after scheme (1) and degree (8)
  const offsets: number[] = []
  let offset = 17
  for (let i = 0; i <= count; i++) {
    offsets.push(offset)
    offset += headerRead(body.subarray(offset)).size
  }
  return offsets
}

export function polyModulusDegree(parms: Uint8Array): number {
  const body = members(parms)
  return Number(new DataView(body.buffer, body.byteOffset, body.byteLength).getBigUint64(1, true))
}
