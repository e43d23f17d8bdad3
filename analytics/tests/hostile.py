"""Crafted ciphertexts that once crashed TenSEAL workers, or could, and a runner that checks
them in a child process so a crash fails a test instead of killing the test run."""

import json
import os
import random
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import tenseal as ts
import tenseal.sealapi as sealapi

from analytics.tests.conftest import ClientKeys

ROOT = Path(__file__).resolve().parents[2]
SEAL_SIZE_OFFSET = 8  # the uint64 size field inside SEAL's 16-byte header


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def vector_proto(sizes: list[int], ciphertexts: list[bytes], scale: float | None) -> bytes:
    """A CKKSVectorProto assembled by hand."""
    packed = b"".join(_varint(size) for size in sizes)
    blob = b"\x0a" + _varint(len(packed)) + packed if sizes else b""
    for ciphertext in ciphertexts:
        blob += b"\x12" + _varint(len(ciphertext)) + ciphertext
    if scale is not None:
        blob += b"\x19" + struct.pack("<d", scale)
    return blob


def seal_bytes(ciphertext: object) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "ct")
        ciphertext.save(path)  # type: ignore[attr-defined]
        return Path(path).read_bytes()


def inner_ciphertext(keys: ClientKeys, values: list[float], **kwargs: object) -> object:
    return ts.ckks_vector(keys.secret, values, **kwargs).ciphertext()[0]


def ntt_cleared(keys: ClientKeys) -> bytes:
    chunk = inner_ciphertext(keys, [1.0])
    sealapi.Evaluator(keys.secret.seal_context().data).transform_from_ntt_inplace(chunk)
    return vector_proto([1], [seal_bytes(chunk)], 2.0**40)


def huge_header_size(keys: ClientKeys) -> bytes:
    inner = bytearray(seal_bytes(inner_ciphertext(keys, [1.0])))
    inner[SEAL_SIZE_OFFSET : SEAL_SIZE_OFFSET + 8] = struct.pack("<Q", 2**62)
    return vector_proto([1], [bytes(inner)], 2.0**40)


def named_hostile_blobs(keys: ClientKeys, small: ClientKeys) -> dict[str, bytes]:
    """Each blob the server must refuse, by what is wrong with it."""
    valid = keys.encrypt([1.0])
    inner = seal_bytes(inner_ciphertext(keys, [1.0]))
    other_parameters = ts.context(ts.SCHEME_TYPE.CKKS, 8192, coeff_mod_bit_sizes=[60, 40, 60])
    other_parameters.global_scale = 2**40
    squared = ts.ckks_vector(keys.secret, [1.0])
    rng = random.Random(7)
    return {
        "sizes but no ciphertext (0a 01 08)": b"\x0a\x01\x08",
        "empty": b"",
        "garbage": bytes(rng.randrange(256) for _ in range(4096)),
        "text": b"this is not a ciphertext",
        "truncated to 3 bytes": valid[:3],
        "truncated to 20 bytes": valid[:20],
        "truncated by half": valid[: len(valid) // 2],
        "truncated by one byte": valid[:-1],
        "degree 4096 parameters": small.encrypt([1.0]),
        "other coefficient moduli": bytes(ts.ckks_vector(other_parameters, [1.0]).serialize()),
        "a product (lower level)": bytes((squared * squared).serialize()),
        "1,000 ciphertexts in one vector": vector_proto([1] * 1000, [b""] * 1000, 2.0**40),
        "two ciphertexts, one size": vector_proto([1], [inner, inner], 2.0**40),
        "one ciphertext, two sizes": vector_proto([1, 1], [inner], 2.0**40),
        "size larger than the slots": vector_proto([5000], [inner], 2.0**40),
        "size zero": vector_proto([0], [inner], 2.0**40),
        "scale 2^30": keys.encrypt_at_scale([1.0], 2.0**30),
        "scale field 2^200": vector_proto([1], [inner], 2.0**200),
        "scale field says 2^40, ciphertext 2^30": vector_proto(
            [1], [seal_bytes(inner_ciphertext(keys, [1.0], scale=2.0**30))], 2.0**40
        ),
        "no scale field": vector_proto([1], [inner], None),
        "NTT flag cleared": ntt_cleared(keys),
        "huge SEAL header size field": huge_header_size(keys),
        "a private context": bytes(keys.secret.serialize(save_secret_key=True)),
        "a public context": keys.public_bytes,
    }


def mutations(valid: bytes, count: int, seed: int) -> list[bytes]:
    """Random byte flips, insertions, deletions and truncations, weighted to the header."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        blob = bytearray(valid)
        choice = rng.random()
        if choice < 0.55:
            for _ in range(rng.randint(1, 8)):
                limit = 64 if rng.random() < 0.6 else len(blob)
                blob[rng.randrange(limit)] = rng.randrange(256)
        elif choice < 0.7:
            del blob[rng.randrange(len(blob)) :]
        elif choice < 0.85:
            at = rng.randrange(64)
            blob[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        else:
            at = rng.randrange(64)
            del blob[at : at + rng.randint(1, 16)]
        out.append(bytes(blob))
    return out


CHILD = """
import json, pickle, sys
from analytics.formats.codec import Codec, ciphertext_load
from analytics.formats.errors import BlobRejectedError
blobs = pickle.load(open(sys.argv[1], "rb"))
codec = Codec(*json.loads(sys.argv[2]))
codes = []
for blob in blobs:
    try:
        vector = ciphertext_load(blob, codec=codec, vector_size=1)
    except BlobRejectedError as rejected:
        codes.append(rejected.code)
        continue
    (vector + vector).serialize()  # what summing would do next
    codes.append("accepted")
print(json.dumps(codes))
"""

TENSEAL_8192 = ("tenseal", 8192, "")
SEAL_8192 = ("seal", 8192, "4.1")


def validate_in_child(
    blobs: list[bytes], codec: tuple[str, int, str] = TENSEAL_8192
) -> tuple[int, list[str]]:
    """Run the server's ciphertext validation on ``blobs`` in a fresh Python process."""
    import pickle

    with tempfile.NamedTemporaryFile(suffix=".pickle") as handle:
        pickle.dump(blobs, handle)
        handle.flush()
        done = subprocess.run(
            [sys.executable, "-c", CHILD, handle.name, json.dumps(codec)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    codes = json.loads(done.stdout) if done.returncode == 0 else []
    return done.returncode, codes
