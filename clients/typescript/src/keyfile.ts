// The key file, in the Python client's format (reflective-keyfile/1): the AES entry key,
// the HMAC tag key, the CKKS secret context (TenSEAL), the device id and the refresh token.
// Where it is stored is the caller's choice; export it as JSON text and keep it private.
import { b64decode, b64encode, hex, randomBytes } from './bytes.js'
import { CkksKeys } from './ckks.js'
import { AES_KEY_BYTES, HMAC_KEY_BYTES } from './crypto.js'

export const KEYFILE_FORMAT = 'reflective-keyfile/1'

export interface KeyMaterial {
  email: string
  aesKey: Uint8Array
  hmacKey: Uint8Array
  ckksSecretContext: Uint8Array
  deviceId: string
  refreshToken: string | null
  createdAt: string
}

/** A random per-install id (16 bytes, hex), as every Reflective client uses. */
export function newDeviceId(): string {
  return hex(randomBytes(16))
}

export async function generateKeyMaterial(email: string, deviceId = newDeviceId()): Promise<KeyMaterial> {
  return {
    email: email.trim().toLowerCase(),
    aesKey: randomBytes(AES_KEY_BYTES),
    hmacKey: randomBytes(HMAC_KEY_BYTES),
    ckksSecretContext: (await CkksKeys.generate()).secretContext(),
    deviceId,
    refreshToken: null,
    createdAt: new Date().toISOString()
  }
}

/** The same keys on another install of the same user: its own device id, no login. */
export function forDevice(material: KeyMaterial, deviceId = newDeviceId()): KeyMaterial {
  return { ...material, deviceId, refreshToken: null }
}

export function exportKeyFile(material: KeyMaterial): string {
  return JSON.stringify({
    format: KEYFILE_FORMAT,
    email: material.email,
    device_id: material.deviceId,
    created_at: material.createdAt,
    aes_key: b64encode(material.aesKey),
    hmac_key: b64encode(material.hmacKey),
    ckks_secret_context: b64encode(material.ckksSecretContext),
    refresh_token: material.refreshToken
  })
}

export function importKeyFile(text: string): KeyMaterial {
  const data = JSON.parse(text)
  if (data?.format !== KEYFILE_FORMAT) throw new Error('not a Reflective key file')
  const material: KeyMaterial = {
    email: String(data.email),
    aesKey: b64decode(data.aes_key),
    hmacKey: b64decode(data.hmac_key),
    ckksSecretContext: b64decode(data.ckks_secret_context),
    deviceId: String(data.device_id),
    refreshToken: data.refresh_token ?? null,
    createdAt: String(data.created_at)
  }
  if (material.aesKey.length !== AES_KEY_BYTES || material.hmacKey.length !== HMAC_KEY_BYTES) {
    throw new Error('the key file holds keys of the wrong length')
  }
  return material
}
