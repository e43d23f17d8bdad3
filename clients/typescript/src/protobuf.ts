// The few protobuf wire operations TenSEAL's formats need (contexts and CKKS vectors).

export const VARINT = 0
export const FIXED64 = 1
export const LENGTH_DELIMITED = 2

export interface Field {
  number: number
  wireType: number
  value: Uint8Array | bigint
}

export function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = []
  let offset = 0
  const varint = (): bigint => {
    let result = 0n
    for (let shift = 0n; ; shift += 7n) {
      if (offset >= bytes.length || shift > 63n) throw new Error('malformed protobuf varint')
      const byte = bytes[offset++]
      result |= BigInt(byte & 0x7f) << shift
      if (!(byte & 0x80)) return result
    }
  }
  while (offset < bytes.length) {
    const key = Number(varint())
    const number = key >>> 3
    const wireType = key & 7
    if (wireType === VARINT) {
      fields.push({ number, wireType, value: varint() })
    } else if (wireType === FIXED64) {
      fields.push({ number, wireType, value: bytes.slice(offset, offset + 8) })
      offset += 8
    } else if (wireType === LENGTH_DELIMITED) {
      const length = Number(varint())
      if (offset + length > bytes.length) throw new Error('truncated protobuf field')
      fields.push({ number, wireType, value: bytes.subarray(offset, offset + length) })
      offset += length
    } else {
      throw new Error(`unsupported protobuf wire type ${wireType}`)
    }
  }
  if (offset !== bytes.length) throw new Error('truncated protobuf message')
  return fields
}

export function varint(value: number | bigint): Uint8Array {
  let rest = BigInt(value)
  const out: number[] = []
  do {
    const byte = Number(rest & 0x7fn)
    rest >>= 7n
    out.push(rest ? byte | 0x80 : byte)
  } while (rest)
  return Uint8Array.from(out)
}

export function bytesField(number: number, value: Uint8Array): Uint8Array[] {
  return [varint((number << 3) | LENGTH_DELIMITED), varint(value.length), value]
}

export function varintField(number: number, value: number | bigint): Uint8Array[] {
  return [varint((number << 3) | VARINT), varint(value)]
}

export function doubleField(number: number, value: number): Uint8Array[] {
  const raw = new Uint8Array(8)
  new DataView(raw.buffer).setFloat64(0, value, true)
  return [varint((number << 3) | FIXED64), raw]
}

export function fieldBytes(fields: Field[], number: number): Uint8Array | undefined {
  const found = fields.find((field) => field.number === number)
  return found && found.value instanceof Uint8Array ? found.value : undefined
}
