// AES-256-GCM and HMAC-SHA256 through WebCrypto (crypto.subtle), one code path for
// browsers and Node. Formats match the Python reference client byte for byte.
import { randomBytes, utf8 } from './bytes.js'
import { DecryptionError } from './errors.js'

export const AES_KEY_BYTES = 32
export const HMAC_KEY_BYTES = 32
export const GCM_IV_BYTES = 12
export const GCM_TAG_BYTES = 16
export const TAG_NAME_CONTEXT = 'reflective/tag-name'

/** One AES-GCM message: ciphertext, 12-byte IV and 16-byte tag, kept apart as the server wants. */
export interface Sealed {
  ciphertext: Uint8Array
  iv: Uint8Array
  tag: Uint8Array
}

/** The associated data of an entry: a ciphertext moved to another id fails to decrypt. */
export function entryContext(entryId: string): string {
  return `reflective/entry/${entryId}`
}

async function aesKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== AES_KEY_BYTES) throw new Error('the AES key must be 32 bytes')
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
}

export async function aesSeal(key: Uint8Array, plaintext: Uint8Array, context: string): Promise<Sealed> {
  const iv = randomBytes(GCM_IV_BYTES)
  const combined = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: utf8.encode(context), tagLength: 128 },
      await aesKey(key),
      plaintext
    )
  )
  const split = combined.length - GCM_TAG_BYTES
  return { ciphertext: combined.slice(0, split), iv, tag: combined.slice(split) }
}

export async function aesOpen(key: Uint8Array, sealed: Sealed, context: string): Promise<Uint8Array> {
  const combined = new Uint8Array(sealed.ciphertext.length + sealed.tag.length)
  combined.set(sealed.ciphertext)
  combined.set(sealed.tag, sealed.ciphertext.length)
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: sealed.iv, additionalData: utf8.encode(context), tagLength: 128 },
        await aesKey(key),
        combined
      )
    )
  } catch {
    throw new DecryptionError()
  }
}

/**
 * Names a person would call the same tag get the same digest: NFKC, case folded, spaces
 * collapsed. Case folding is upper-then-lower case, which agrees with Python's casefold()
 * on the special cases that matter for names (ß -> ss, final sigma).
 */
export function normalizeTagName(name: string): string {
  const folded = name.normalize('NFKC').toUpperCase().toLowerCase()
  return folded.split(/\s+/u).filter(Boolean).join(' ')
}

export async function tagDigest(hmacKey: Uint8Array, name: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', hmacKey, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(normalizeTagName(name))))
}
