// CKKS keys and ciphertexts with node-seal, in either serialization a key epoch may use:
// - 'seal': raw SEAL objects (PublicKey.save(), Ciphertext.save()), node-seal's own;
// - 'tenseal': TenSEAL's protobuf envelopes, what the Python client reads and writes.
// The key file always holds the secret key as a TenSEAL context, so one key file serves
// both clients; which format an epoch uses is decided by the public key uploaded for it.
import { concat, sha256Hex } from './bytes.js'
import { DecryptionError } from './errors.js'
import { VARINT, bytesField, doubleField, fieldBytes, readFields, varint, varintField } from './protobuf.js'
import {
  CIPHERTEXT_MEMBERS,
  PLAINTEXT_MEMBERS,
  SealVersion,
  headerRead,
  isSealObject,
  parmsNestedOffsets,
  polyModulusDegree,
  restamp
} from './sealwire.js'

type SEALLibrary = Awaited<ReturnType<(typeof import('node-seal'))['default']>>
type SealContext = ReturnType<SEALLibrary['Context']>

export type CkksFormat = 'tenseal' | 'seal'

/** The server's published policy (GET /api/encryption/context): moduli and scale per degree. */
export const PARAMETER_SETS: Record<number, { bitSizes: number[]; scaleBits: number }> = {
  4096: { bitSizes: [40, 20, 40], scaleBits: 20 },
  8192: { bitSizes: [60, 40, 40, 60], scaleBits: 40 },
  16384: { bitSizes: [60, 40, 40, 40, 40, 60], scaleBits: 40 }
}
export const DEFAULT_DEGREE = 8192
/** The SEAL version inside TenSEAL 0.3.x, stamped on key files this library creates. */
export const TENSEAL_SEAL_VERSION: SealVersion = [4, 3]
const TENSEAL_AUTO_FLAGS = 7 // auto relinearize, rescale and mod-switch: TenSEAL's defaults

let library: Promise<SEALLibrary> | null = null

/** node-seal, loaded once (WebAssembly); browsers map the `node-seal` import to its web build. */
export function sealLibrary(): Promise<SEALLibrary> {
  library ??= import('node-seal').then(async (module: any) => {
    const factory = module.default ?? module
    return (typeof factory === 'function' ? factory : factory.default)()
  })
  return library
}

export class CkksKeys {
  readonly degree: number
  readonly scale: number
  private readonly secretContextBytes: Uint8Array
  private readonly tensealVersion: SealVersion

  private constructor(
    private readonly seal: SEALLibrary,
    private readonly context: SealContext,
    private readonly publicKey: ReturnType<SEALLibrary['PublicKey']>,
    private readonly secretKey: ReturnType<SEALLibrary['SecretKey']>,
    degree: number,
    secretContext: Uint8Array,
    tensealVersion: SealVersion
  ) {
    this.degree = degree
    this.scale = 2 ** PARAMETER_SETS[degree].scaleBits
    this.secretContextBytes = secretContext
    this.tensealVersion = tensealVersion
  }

  static async generate(degree = DEFAULT_DEGREE): Promise<CkksKeys> {
    const seal = await sealLibrary()
    const { parms, context } = policyContext(seal, degree)
    const keygen = seal.KeyGenerator(context)
    const secretKey = keygen.secretKey()
    const publicKey = keygen.createPublicKey()
    const none = seal.ComprModeType.none
    const version = TENSEAL_SEAL_VERSION
    const parmsBytes = parms.saveArray(none)
    const secretContext = concat(
      ...bytesField(1, restamp(parmsBytes, version, parmsNestedOffsets(parmsBytes))),
      ...bytesField(
        2,
        concat(
          ...bytesField(1, restamp(publicKey.saveArray(none), version, [CIPHERTEXT_MEMBERS])),
          ...varintField(2, TENSEAL_AUTO_FLAGS),
          ...doubleField(3, 2 ** PARAMETER_SETS[degree].scaleBits)
        )
      ),
      ...bytesField(3, concat(...bytesField(1, restamp(secretKey.saveArray(none), version, [PLAINTEXT_MEMBERS]))))
    )
    return new CkksKeys(seal, context, publicKey, secretKey, degree, secretContext, version)
  }

  /** Keys from a TenSEAL secret context (the key file's `ckks_secret_context`). */
  static async fromSecretContext(secretContext: Uint8Array): Promise<CkksKeys> {
    const seal = await sealLibrary()
    const top = readFields(secretContext)
    const parmsBytes = fieldBytes(top, 1)
    const publicProto = fieldBytes(top, 2)
    const privateProto = fieldBytes(top, 3)
    if (!parmsBytes || !publicProto || !privateProto) throw new Error('not a TenSEAL secret context')
    const degree = polyModulusDegree(parmsBytes)
    if (!PARAMETER_SETS[degree]) throw new Error(`CKKS degree ${degree} is outside the server's policy`)
    const { context } = policyContext(seal, degree)
    const local = nodeSealVersion(seal)
    const publicKey = seal.PublicKey()
    publicKey.loadArray(context, restamp(required(fieldBytes(readFields(publicProto), 1)), local, [CIPHERTEXT_MEMBERS]))
    const secretKey = seal.SecretKey()
    secretKey.loadArray(context, restamp(required(fieldBytes(readFields(privateProto), 1)), local, [PLAINTEXT_MEMBERS]))
    const version = headerRead(parmsBytes).version
    return new CkksKeys(seal, context, publicKey, secretKey, degree, secretContext.slice(), version)
  }

  /** Everything needed to encrypt and decrypt: keep it in the key file only. */
  secretContext(): Uint8Array {
    return this.secretContextBytes.slice()
  }

  /** The TenSEAL public context: the secret context without its private part (as Python sends it). */
  tensealPublicContext(): Uint8Array {
    const kept = readFields(this.secretContextBytes).filter((field) => field.number !== 3)
    return concat(
      ...kept.flatMap((field) =>
        field.value instanceof Uint8Array ? bytesField(field.number, field.value) : varintField(field.number, field.value)
      )
    )
  }

  /** The raw SEAL PublicKey, as node-seal clients upload it (uncompressed, so always the same bytes). */
  sealPublicKey(): Uint8Array {
    return this.publicKey.saveArray(this.seal.ComprModeType.none)
  }

  publicKeyFor(format: CkksFormat): Uint8Array {
    return format === 'seal' ? this.sealPublicKey() : this.tensealPublicContext()
  }

  /** The server's names (sha256 of the uploaded bytes) for this key in each format. */
  async keyIds(): Promise<Record<CkksFormat, string>> {
    return {
      tenseal: await sha256Hex(this.tensealPublicContext()),
      seal: await sha256Hex(this.sealPublicKey())
    }
  }

  /** Which format an epoch named `keyId` uses, or null when it is not this key's. */
  async formatOf(keyId: string | null | undefined): Promise<CkksFormat | null> {
    const ids = await this.keyIds()
    if (keyId === ids.tenseal) return 'tenseal'
    if (keyId === ids.seal) return 'seal'
    return null
  }

  /** One ciphertext holding `values` in its first slots (sums are slot-wise). */
  encrypt(values: number[], format: CkksFormat): Uint8Array {
    const encoder = this.seal.CKKSEncoder(this.context)
    if (values.length < 1 || values.length > encoder.slotCount) throw new Error('1 to slotCount values per ciphertext')
    const plain = encoder.encode(Float64Array.from(values), this.scale)
    if (!plain) throw new Error('node-seal did not encode')
    const ciphertext = this.seal.Encryptor(this.context, this.publicKey).encrypt(plain)
    if (!ciphertext) throw new Error('node-seal did not encrypt')
    try {
      if (format === 'seal') return ciphertext.saveArray(this.seal.ComprModeType.zstd)
      const raw = restamp(ciphertext.saveArray(this.seal.ComprModeType.none), this.tensealVersion, [CIPHERTEXT_MEMBERS])
      return concat(
        ...bytesField(1, varint(values.length)),
        ...bytesField(2, raw),
        ...doubleField(3, this.scale)
      )
    } finally {
      plain.delete()
      ciphertext.delete()
    }
  }

  /** The values of a ciphertext (raw SEAL: the first `size` slots; TenSEAL: its own size). */
  decrypt(blob: Uint8Array, size = 1): number[] {
    let raw = blob
    let count = size
    if (!isSealObject(blob)) {
      try {
        const fields = readFields(blob)
        raw = required(fieldBytes(fields, 2))
        count = vectorSize(required(fieldBytes(fields, 1)))
      } catch {
        throw new DecryptionError('not a CKKS ciphertext')
      }
    }
    const ciphertext = this.seal.CipherText()
    try {
      ciphertext.loadArray(this.context, restamp(raw, nodeSealVersion(this.seal), [CIPHERTEXT_MEMBERS]))
      const plain = this.seal.Decryptor(this.context, this.secretKey).decrypt(ciphertext)
      if (!plain) throw new Error('node-seal did not decrypt')
      const decoded = this.seal.CKKSEncoder(this.context).decode(plain)
      plain.delete()
      return Array.from(decoded.slice(0, count))
    } catch (error) {
      if (error instanceof DecryptionError) throw error
      throw new DecryptionError('not a CKKS ciphertext for this key')
    } finally {
      ciphertext.delete()
    }
  }
}

function policyContext(seal: SEALLibrary, degree: number) {
  const set = PARAMETER_SETS[degree]
  if (!set) throw new Error(`CKKS degree ${degree} is outside the server's policy`)
  const parms = seal.EncryptionParameters(seal.SchemeType.ckks)
  parms.setPolyModulusDegree(degree)
  parms.setCoeffModulus(seal.CoeffModulus.Create(degree, Int32Array.from(set.bitSizes)))
  const context = seal.Context(parms, true, seal.SecurityLevel.tc128)
  if (!context.parametersSet()) throw new Error('node-seal refused the policy parameters')
  return { parms, context }
}

let localVersion: SealVersion | null = null

function nodeSealVersion(seal: SEALLibrary): SealVersion {
  if (!localVersion) {
    const probe = seal.EncryptionParameters(seal.SchemeType.ckks)
    localVersion = headerRead(probe.saveArray(seal.ComprModeType.none)).version
    probe.delete()
  }
  return localVersion
}

/** CKKSVectorProto field 1: packed sizes, one per chunk; the library sends and reads one. */
function vectorSize(packedSizes: Uint8Array): number {
  const [first] = readFields(concat(varint((1 << 3) | VARINT), packedSizes))
  if (!first || typeof first.value !== 'bigint') throw new Error('a malformed vector size')
  return Number(first.value)
}

function required(bytes: Uint8Array | undefined): Uint8Array {
  if (!bytes) throw new Error('a required field is missing')
  return bytes
}
