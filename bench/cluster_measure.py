"""The figures in docs/SCALING.md: what each piece of the cluster costs or gives on one machine.

On the drill's cluster (bench/cluster_drill.py: a primary, a synchronous replica, Redis,
gunicorn nodes of two workers, haproxy), each phase runs bench/load.py's mixed devices (or
push-only writers) for ``--seconds`` and reports requests/s:

1. one node (its own port) against two nodes behind haproxy;
2. two nodes reaching PostgreSQL through kept connections, Django's psycopg pool, or
   pgbouncer in transaction mode;
3. push throughput with synchronous replication on and off.

Usage: .venv/bin/python bench/cluster_measure.py [--seconds 15] [--users 4] [--devices 12]
       .venv/bin/python bench/cluster_measure.py --sync-only --sync-rounds 3 --seconds 10
"""

import argparse
import os
import statistics
import threading
import time
import uuid

import psycopg
import requests
from cluster_drill import WORKERS_PER_NODE, devices_create, node_env
from cluster_pieces import (
    Cluster,
    Postgres,
    Service,
    haproxy_start,
    migrate,
    nodes_start,
    pgbouncer_start,
    primary_create,
    redis_start,
    replica_create,
    synchronous_replication,
)
from common import account_create, entry_body
from load import accounts_create, collect
from load_device import Device

PUSH_WRITERS = 8


def mixed_load(base: str, database_url: str, args: argparse.Namespace) -> float:
    """Requests/s of the load mix (every answer counted; failures are reported)."""
    accounts = accounts_create(base, database_url, args.users, args.devices, 2)
    devices: list[Device] = list(devices_create(base, accounts, args.devices, []))
    collect(devices)
    stop = threading.Event()
    threads = [threading.Thread(target=device.run, args=(stop,)) for device in devices]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    timed, _ = collect(devices)
    errors = len(timed.unexpected) + sum(timed.transport_errors.values())
    if errors:
        print(f"  {errors} errors, e.g. {timed.unexpected[:2]} {dict(timed.transport_errors)}")
    return timed.requests / seconds


def push_load(base: str, database_url: str, seconds: float) -> float:
    """Pushes/s of new 2 KiB entries from PUSH_WRITERS writers, one user each."""
    tokens = [account_create(base, database_url, label="push") for _ in range(PUSH_WRITERS)]
    counts = [0] * PUSH_WRITERS
    deadline = time.monotonic() + seconds

    def writer(index: int) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {tokens[index]}"
        while time.monotonic() < deadline:
            body = entry_body(f"p-{uuid.uuid4().hex[:12]}", f"writer-{index}")
            if http.post(f"{base}/api/sync/backup", json=body, timeout=60).status_code == 201:
                counts[index] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(PUSH_WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


COMMITS = 500


def commit_ms(primary: Postgres) -> float:
    """Mean milliseconds per one-row commit on one connection: the latency a commit adds."""
    with psycopg.connect(primary.url(), autocommit=True) as conn:
        conn.execute(b"CREATE TABLE IF NOT EXISTS commit_probe (id bigint)")
        started = time.perf_counter()
        for number in range(COMMITS):
            conn.execute(b"INSERT INTO commit_probe VALUES (%s)", (number,))
        elapsed = time.perf_counter() - started
        conn.execute(b"DROP TABLE commit_probe")
    return elapsed / COMMITS * 1e3


def synchronous_cost(primary: Postgres, base: str, args: argparse.Namespace) -> None:
    """Pushes/s with synchronous replication on, then off, ``--sync-rounds`` times."""
    rates: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.sync_rounds):
        for on in (True, False):
            synchronous_replication(primary, on=on)
            rates[on].append(push_load(base, primary.url(), args.seconds))
    for on in (True, False):
        synchronous_replication(primary, on=on)
        state = "synchronous" if on else "asynchronous"
        print(f"one-row commit, one connection, {state}: {commit_ms(primary):.2f} ms")
    synchronous_replication(primary, on=True)
    sync, just_local = statistics.median(rates[True]), statistics.median(rates[False])
    print(
        f"pushes/s, {PUSH_WRITERS} writers, median of {args.sync_rounds}: synchronous "
        f"{sync:.1f} {[round(r, 1) for r in rates[True]]}, asynchronous {just_local:.1f} "
        f"{[round(r, 1) for r in rates[False]]}: {100 * (1 - sync / just_local):.0f}% fewer"
    )


def front_start(
    cluster: Cluster, env: dict[str, str], label: str
) -> tuple[list[Service], list[str], str]:
    nodes = nodes_start(cluster, [f"{label}-a", f"{label}-b"], env, WORKERS_PER_NODE)
    haproxy, port = haproxy_start(cluster.root, [p for _, p in nodes], WORKERS_PER_NODE)
    cluster.services.append(haproxy)
    services = [service for service, _ in nodes] + [haproxy]
    return services, [f"http://127.0.0.1:{p}" for _, p in nodes], f"http://127.0.0.1:{port}"


def front_stop(cluster: Cluster, services: list[Service]) -> None:
    for service in services:
        service.stop()
        cluster.services.remove(service)


def connection_variants(
    primary: Postgres, replica: Postgres, cache_url: str, bouncer_port: int
) -> dict[str, dict[str, str]]:
    pooled = node_env(primary, replica, cache_url)
    kept = pooled | {"DB_POOL": "false", "DB_CONN_MAX_AGE": "60"}
    bounced = kept | {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{bouncer_port}/reflective",
        "DB_SERVER_SIDE_BINDING": "false",
    }
    return {
        "psycopg pool (DB_POOL=true)": pooled,
        "kept connections (CONN_MAX_AGE=60)": kept,
        "pgbouncer, transaction mode, client-side binding": bounced,
        # Django never lets psycopg prepare named statements (prepare_threshold=None), so
        # server-side binding's unnamed statements are safe in transaction mode too.
        "pgbouncer, transaction mode, server-side binding": bounced
        | {"DB_SERVER_SIDE_BINDING": "true"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--devices", type=int, default=12)
    parser.add_argument("--sync-rounds", type=int, default=1)
    parser.add_argument("--sync-only", action="store_true", help="only the sync-commit cost")
    args = parser.parse_args()
    cluster = Cluster()
    try:
        primary = primary_create(cluster.root)
        cluster.servers.append(primary)
        migrate(primary.url())
        primary.sql("ALTER DATABASE reflective SET statement_timeout = '30s'")
        replica = replica_create(cluster.root, primary)
        cluster.servers.append(replica)
        synchronous_replication(primary, on=True)
        redis, cache_url = redis_start(cluster.root)
        cluster.services.append(redis)
        bouncer, bouncer_port = pgbouncer_start(cluster.root, primary, pool_size=8)
        cluster.services.append(bouncer)
        print(f"cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[:2]}")
        variants = connection_variants(primary, replica, cache_url, bouncer_port)
        for label, env in variants.items():
            services, node_urls, base = front_start(cluster, env, "node")
            if label.startswith("psycopg") and not args.sync_only:
                one = mixed_load(node_urls[0], primary.url(), args)
                print(f"one node ({WORKERS_PER_NODE} workers), psycopg pool: {one:.1f} req/s")
            if not args.sync_only:
                rate = mixed_load(base, primary.url(), args)
                print(f"two nodes behind haproxy, {label}: {rate:.1f} req/s", flush=True)
            if label.startswith("psycopg"):
                synchronous_cost(primary, base, args)
                if args.sync_only:
                    return
            front_stop(cluster, services)
        print(f"load average at the end: {os.getloadavg()[:2]}")
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
