"""The floor under a metric upload: the client encoding it, PostgreSQL storing its bytes.

A 25-metric upload of 8192-degree CKKS values stores 25 ciphertexts of about 331 KB, plus
the rollups it creates or rewrites (about 6 more for 25 consecutive days). This inserts
exactly those bytes (real ciphertexts from ``reflective_client``), one row per execute in
one transaction, into a bytea column stored out of line without compression, as the
server's ``analytics_encryptedmetric`` and ``analytics_metricrollup`` are: no HTTP, no
Django, no validation, no rollup arithmetic. It prints the wall time and the PostgreSQL
backend's own CPU per transaction, and the metrics/s one client could reach if everything
else an upload does took no time at all.

A client uploading one request after another also encodes each body before sending it; that
is timed too, with httpx's own JSON encoder for the JSON shape (base64 ciphertexts) and
``reflective_client.analytics.metrics_frame`` for the binary frames. The floor of one upload
is the client's encoding plus PostgreSQL's storing: neither can start before the other ends.

    .venv/bin/python bench/storage_floor.py            # --rounds 20 --database NAME

The database given by --database is dropped and recreated.
"""

import argparse
import os
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import pybase64
from common import DEFAULT_POSTGRES, database_drop
from httpx._content import encode_json

from reflective_client.analytics import MetricPoint, encrypt_points_raw, metrics_frame
from reflective_client.crypto import CkksKeys

PER_UPLOAD = 25


def backend_cpu_ms(pid: int) -> float:
    """User + system CPU of a local PostgreSQL backend, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def uploads(count: int) -> list[tuple[dict[str, Any], bytes]]:
    """``count`` metrics as (fields, ciphertext), as the reference client makes them."""
    keys = CkksKeys.generate()
    day = datetime(2024, 1, 1, tzinfo=UTC)
    points = [MetricPoint("floor", [float(n)], day) for n in range(count)]
    return encrypt_points_raw(keys, points)


def encoding_ms(encode: Any, rounds: int) -> float:
    """The client's CPU milliseconds to encode one request body (median)."""
    times = []
    for _ in range(rounds):
        started = time.process_time()
        encode()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def client_encodings(items: list[tuple[dict[str, Any], bytes]], rounds: int) -> dict[str, float]:
    json_items = [
        fields | {"encrypted_value": pybase64.b64encode_as_string(blob)} for fields, blob in items
    ]
    return {
        "JSON (httpx json=)": encoding_ms(lambda: encode_json({"metrics": json_items}), rounds),
        "binary frames": encoding_ms(lambda: metrics_frame(items), rounds),
    }


def transaction_time(conn: psycopg.Connection[Any], blobs: list[bytes]) -> tuple[float, float]:
    """Wall and backend CPU milliseconds of one transaction inserting ``blobs``."""
    pid = conn.info.backend_pid
    cpu = backend_cpu_ms(pid)
    started = time.perf_counter()
    with conn.transaction(), conn.cursor() as cursor:
        for blob in blobs:
            cursor.execute("INSERT INTO floor_ciphertext (ciphertext) VALUES (%s)", (blob,))
    return (time.perf_counter() - started) * 1000, backend_cpu_ms(pid) - cpu


def storing_ms(conn: psycopg.Connection[Any], name: str, blobs: list[bytes], rounds: int) -> float:
    """Prints and returns the median wall milliseconds of storing ``blobs`` in one transaction."""
    walls, cpus = zip(*(transaction_time(conn, blobs) for _ in range(rounds)), strict=True)
    wall = float(statistics.median(walls))
    megabytes = sum(map(len, blobs)) / 1e6
    print(
        f"store {name:<28} {len(blobs):>3} rows {megabytes:5.1f} MB  wall p50 {wall:6.1f} ms "
        f"(min {min(walls):5.1f})  PostgreSQL CPU p50 {statistics.median(cpus):5.1f} ms  "
        f"{megabytes / wall * 1000:5.0f} MB/s"
    )
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="reflective_floor")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--rollups", type=int, default=6, help="rollup rows per upload")
    args = parser.parse_args()
    database_drop(args.postgres, args.database)
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{args.database}"')
    items = uploads(PER_UPLOAD + args.rollups)
    blobs = [blob for _, blob in items]
    print(f"ciphertext: {len(blobs[0]):,} bytes (8192-degree CKKS, one value)")
    with psycopg.connect(f"{args.postgres}/{args.database}", autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE floor_ciphertext (id bigserial PRIMARY KEY, ciphertext bytea NOT NULL)"
        )
        conn.execute("ALTER TABLE floor_ciphertext ALTER COLUMN ciphertext SET STORAGE EXTERNAL")
        stored = storing_ms(conn, "the metrics", blobs[:PER_UPLOAD], args.rounds)
        storing_ms(conn, "the metrics and rollups", blobs, args.rounds)
    database_drop(args.postgres, args.database)
    for shape, encoded in client_encodings(items[:PER_UPLOAD], args.rounds).items():
        floor = encoded + stored
        print(
            f"{shape:<20} client encodes {encoded:5.1f} ms + metrics stored {stored:5.1f} ms "
            f"= floor {floor:6.1f} ms an upload: at most {PER_UPLOAD / floor * 1000:4.0f} metrics/s"
        )


if __name__ == "__main__":
    main()
