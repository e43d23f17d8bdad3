"""Crafted raw SEAL ciphertexts the server must refuse, built with real SEAL objects."""

import random
import struct
import zlib

import tenseal.sealapi as sealapi
import zstandard

from analytics.tests.conftest import ClientKeys
from analytics.tests.sealkeys import SealClient, make_seal_client, members_of, saved, wire

SCALE_OFFSET = 57  # parms_id 32, NTT flag 1, size, degree and modulus count 8 each
NTT_OFFSET = 32


def _sealed(body: bytes, compression: int = 0, minor: int = 1) -> bytes:
    header = struct.pack("<HBBBBHQ", 0xA15E, 16, 4, minor, compression, 0, 16 + len(body))
    return header + body


def _patched(client: SealClient, offset: int, value: bytes) -> bytes:
    body = bytearray(members_of(client.encrypt([1.0])))
    body[offset : offset + len(value)] = value
    return _sealed(bytes(body))


def _evaluated(client: SealClient, operation: str) -> bytes:
    ciphertext = client.ciphertext([1.0])
    getattr(sealapi.Evaluator(client.context), operation)(ciphertext)
    return wire(saved(ciphertext), minor=1, compression=2)


def _bombs() -> dict[str, bytes]:
    zeros = bytes(64 * 1024 * 1024)
    return {
        "zstd bomb (64 MiB of zeros)": _sealed(
            zstandard.ZstdCompressor(level=19).compress(zeros), 2
        ),
        "zlib bomb (64 MiB of zeros)": _sealed(zlib.compress(zeros, 9), 1),
    }


def _truncations(valid: bytes) -> dict[str, bytes]:
    cut = valid[16 : len(valid) // 2]
    return {
        "truncated to 3 bytes": valid[:3],
        "truncated to 20 bytes": valid[:20],
        "truncated by half": valid[: len(valid) // 2],
        "truncated by one byte": valid[:-1],
        "truncated, size field fixed": _sealed(cut, compression=valid[5]),
    }


def named_seal_hostile_blobs(client: SealClient, tenseal_keys: ClientKeys) -> dict[str, bytes]:
    """Each blob a raw SEAL epoch (degree 8192, SEAL 4.1) must refuse, by what is wrong."""
    valid = client.encrypt([1.0])
    body = members_of(valid)
    rng = random.Random(11)
    nested_compressed = bytearray(body)
    nested_compressed[73 + 5] = 2
    return {
        "empty": b"",
        "magic then garbage": b"\x5e\xa1" + bytes(rng.randrange(256) for _ in range(4094)),
        "text": b"this is not a ciphertext",
        **_truncations(valid),
        "huge SEAL header size field": valid[:8] + struct.pack("<Q", 2**62) + valid[16:],
        "unknown compression mode": valid[:5] + b"\x07" + valid[6:],
        "nested header claims compression": _sealed(bytes(nested_compressed)),
        "nested header missing": _sealed(body[:73] + bytes(len(body) - 73)),
        "degree 4096 parameters": make_seal_client(4096).encrypt([1.0]),
        "other coefficient moduli": make_seal_client(
            8192, coeff_mod_bit_sizes=[60, 40, 60]
        ).encrypt([1.0]),
        "a square (three polynomials)": _evaluated(client, "square_inplace"),
        "a lower level": _evaluated(client, "mod_switch_to_next_inplace"),
        "NTT flag cleared": _evaluated(client, "transform_from_ntt_inplace"),
        "NTT byte cleared": _patched(client, NTT_OFFSET, b"\x00"),
        "scale 2^30": client.encrypt([1.0], scale=2.0**30),
        "scale field 2^200": _patched(client, SCALE_OFFSET, struct.pack("<d", 2.0**200)),
        "scale field NaN": _patched(client, SCALE_OFFSET, struct.pack("<d", float("nan"))),
        **_bombs(),
        "a public key": client.public_bytes,
        "a secret key": client.secret_bytes,
        "a TenSEAL vector": tenseal_keys.encrypt([1.0]),
    }
