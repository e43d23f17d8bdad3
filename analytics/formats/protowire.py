"""A strict reader for the top level of a protobuf message, used before TenSEAL sees a blob.

TenSEAL trusts its own protobuf messages: a CKKS vector that lists a size but carries no
ciphertext loads without error and crashes the process on the next addition. Reading the
wire format ourselves lets the server count fields and refuse such blobs first. Only what
TenSEAL's messages use is supported; anything else (groups, truncation, overlong varints,
unknown wire types) is a ``WireError``.
"""

from dataclasses import dataclass

VARINT = 0
FIXED64 = 1
LENGTH_DELIMITED = 2
FIXED32 = 5
MAX_VARINT_BYTES = 10


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message of the supported shape."""


@dataclass(frozen=True)
class WireField:
    number: int
    wire_type: int
    # The varint value for VARINT fields; for the other wire types, the raw payload bytes.
    value: int | bytes


def read_varint(data: bytes, offset: int) -> tuple[int, int]:
    """Decode one varint at ``offset``; returns (value, offset after it)."""
    value = 0
    for index in range(MAX_VARINT_BYTES):
        if offset + index >= len(data):
            raise WireError("truncated varint")
        byte = data[offset + index]
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value, offset + index + 1
    raise WireError("varint longer than 10 bytes")


def _payload(data: bytes, offset: int, wire_type: int) -> tuple[int | bytes, int]:
    if wire_type == VARINT:
        return read_varint(data, offset)
    if wire_type == LENGTH_DELIMITED:
        length, start = read_varint(data, offset)
        end = start + length
        if end > len(data):
            raise WireError("length runs past the end")
        return data[start:end], end
    width = {FIXED64: 8, FIXED32: 4}.get(wire_type)
    if width is None:
        raise WireError(f"unsupported wire type {wire_type}")
    if offset + width > len(data):
        raise WireError("truncated fixed-width field")
    return data[offset : offset + width], offset + width


def read_fields(data: bytes) -> list[WireField]:
    """Every top-level field of ``data`` in order; raises ``WireError`` on any malformation."""
    fields: list[WireField] = []
    offset = 0
    while offset < len(data):
        key, offset = read_varint(data, offset)
        number, wire_type = key >> 3, key & 0x7
        if number == 0:
            raise WireError("field number 0")
        value, offset = _payload(data, offset, wire_type)
        fields.append(WireField(number, wire_type, value))
    return fields


def read_packed_varints(data: bytes) -> list[int]:
    values: list[int] = []
    offset = 0
    while offset < len(data):
        value, offset = read_varint(data, offset)
        values.append(value)
    return values
