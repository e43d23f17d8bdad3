"""Two app nodes behind haproxy, a synchronous streaming replica, and a failover under load.

Starts, as private instances on free loopback ports under one temporary directory: a
PostgreSQL primary, a replica made with ``pg_basebackup -R`` (synchronous: a commit returns
once the replica has flushed it), Redis for the shared cache, two gunicorn nodes and
haproxy checking /api/health/ready. Then it proves, in order:

1. a login throttle counts across nodes (Redis);
2. with the replica's replay paused, a device that just pushed still pulls its entry (from
   the primary) while another user's pull is served by the replica, counted per server
   with pg_stat_statements;
3. under load through haproxy (bench/load.py's devices, retrying 503 + Retry-After), one
   node is killed with SIGKILL, then the primary is stopped (immediate) and the replica
   promoted with ``pg_ctl promote``. The nodes reach it without a restart through their
   multi-host DATABASE_URL. Afterwards every device converges on the server's digest,
   every acknowledged write is there byte for byte, and the only errors clients saw were
   503s with Retry-After, or a read's answer cut off by the killed node (a device repeats
   the read; haproxy cannot once it has passed the answer's headers on).

It prints the replica's lag under load and the seconds without an acknowledged write, and
exits 1 when a check fails. Everything it started is stopped and removed. Usage:

    .venv/bin/python bench/cluster_drill.py [--seconds 36] [--users 4] [--devices 12]
"""

import argparse
import itertools
import signal
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from cluster_checks import DrillDevice, read_your_writes, throttle_shared
from cluster_pieces import (
    Cluster,
    Postgres,
    haproxy_start,
    migrate,
    nodes_start,
    primary_create,
    redis_start,
    replica_create,
    synchronous_replication,
)
from load import accounts_create, checks_run, collect, run_failures
from load_device import Account, Device
from load_report import status_table

WORKERS_PER_NODE = 2


def node_env(primary: Postgres, replica: Postgres, cache_url: str) -> dict[str, str]:
    """Both servers in both URLs: libpq picks the one that is (or prefers a standby)."""
    hosts = f"127.0.0.1:{primary.port},127.0.0.1:{replica.port}"
    replica_hosts = f"127.0.0.1:{replica.port},127.0.0.1:{primary.port}"
    return {
        "DATABASE_URL": f"postgres://postgres@{hosts}/reflective?target_session_attrs=read-write",
        "DATABASE_REPLICA_URL": (
            f"postgres://postgres@{replica_hosts}/reflective?target_session_attrs=prefer-standby"
        ),
        "CACHE_URL": cache_url,
        "DB_POOL": "true",
        "DB_CONNECT_TIMEOUT": "2",
        "NUM_PROXIES": "1",
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
        "THROTTLE_REGISTER_IP": "1000/hour",
        "THROTTLE_LOGIN_IP": "1000/min",
        "THROTTLE_LOGIN_ACCOUNT": "5/min",
    }


@dataclass
class Timeline:
    """When the faults happened, and what the replica's lag was before them."""

    node_killed: float = 0.0
    primary_stopped: float = 0.0
    promoted: float = 0.0
    lag_bytes: list[int] = field(default_factory=list)
    lag_seconds: list[float] = field(default_factory=list)


def lag_sample(primary: Postgres, timeline: Timeline) -> None:
    rows = primary.sql(
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
        "coalesce(extract(epoch FROM replay_lag), 0)::float FROM pg_stat_replication"
    )
    for lag_bytes, lag_seconds in rows:
        timeline.lag_bytes.append(int(lag_bytes or 0))
        timeline.lag_seconds.append(float(lag_seconds or 0))


def faults(
    cluster: Cluster, args: argparse.Namespace, stop: threading.Event, timeline: Timeline
) -> None:
    primary, replica = cluster.servers
    started = time.monotonic()
    node = next(service for service in cluster.services if service.name == "node1")
    while not stop.is_set() and time.monotonic() - started < args.kill_node_at:
        lag_sample(primary, timeline)
        time.sleep(0.5)
    node.kill(signal.SIGKILL)
    timeline.node_killed = time.monotonic()
    print(f"t+{timeline.node_killed - started:.1f} s: node1 killed (SIGKILL)")
    while not stop.is_set() and time.monotonic() - started < args.stop_primary_at:
        lag_sample(primary, timeline)
        time.sleep(0.5)
    primary.stop("immediate")
    timeline.primary_stopped = time.monotonic()
    replica.run("pg_ctl", "promote", "-D", str(replica.data), "-w")
    timeline.promoted = time.monotonic()
    print(
        f"t+{timeline.primary_stopped - started:.1f} s: primary stopped; replica promoted in "
        f"{timeline.promoted - timeline.primary_stopped:.1f} s"
    )


def write_gap(ack_times: list[float], after: float) -> float:
    """The longest time without an acknowledged write, from just before ``after``."""
    times = sorted(t for t in ack_times if t >= after - 5)
    gaps = [(b - a) for a, b in itertools.pairwise(times) if b >= after]
    return max(gaps, default=float("inf"))


def load_with_faults(
    cluster: Cluster, base: str, args: argparse.Namespace
) -> tuple[list[str], Timeline]:
    primary = cluster.servers[0]
    accounts = accounts_create(base, primary.url(), args.users, args.devices, 2)
    ack_times: list[float] = []
    drill_devices = devices_create(base, accounts, args.devices, ack_times)
    devices: list[Device] = list(drill_devices)
    untimed, _ = collect(devices)
    stop, timeline = threading.Event(), Timeline()
    threads = [threading.Thread(target=device.run, args=(stop,)) for device in devices]
    fault_thread = threading.Thread(target=faults, args=(cluster, args, stop, timeline))
    started = time.monotonic()
    for thread in [*threads, fault_thread]:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in [*threads, fault_thread]:
        thread.join()
    seconds = time.monotonic() - started
    timed, _outcomes = collect(devices)
    findings = checks_run(accounts, devices)
    untimed.merge(collect(devices)[0])
    retried = Counter[str]()
    for drill_device in drill_devices:
        retried.update(drill_device.retried)
    print(f"\n{args.devices} devices over {args.users} users, {seconds:.1f} s under faults")
    print(f"requests answered: {timed.requests:,} ({timed.requests / seconds:,.1f}/s)")
    print("\n".join(status_table(timed)))
    print("retried 503 + Retry-After:", dict(retried) or "none")
    print(
        f"checks: {findings.devices_checked} devices converged on the server's digest; "
        f"{findings.acks:,} acknowledged writes: {findings.kept_current:,} current, "
        f"{findings.kept_in_history:,} in the kept history"
    )
    _lag_report(timeline)
    if timeline.primary_stopped:
        gap = write_gap(ack_times, timeline.primary_stopped)
        print(f"write unavailability (longest time without an acknowledged write): {gap:.1f} s")
    failures = run_failures(findings, timed, untimed, five_xx="with a 5xx other than a retried 503")
    if not timeline.promoted:
        failures.append("the failover did not happen within the run")
    return failures, timeline


def _lag_report(timeline: Timeline) -> None:
    if not timeline.lag_bytes:
        return
    print(
        f"replica lag under load ({len(timeline.lag_bytes)} samples): bytes median "
        f"{statistics.median(timeline.lag_bytes):,.0f}, max {max(timeline.lag_bytes):,}; "
        f"replay_lag median {statistics.median(timeline.lag_seconds) * 1e3:.1f} ms, "
        f"max {max(timeline.lag_seconds) * 1e3:.1f} ms"
    )


def devices_create(
    base: str, accounts: list[Account], count: int, ack_times: list[float]
) -> list[DrillDevice]:
    devices = [
        DrillDevice(
            accounts[n % len(accounts)], n // len(accounts), base, 1 + n, ack_times=ack_times
        )
        for n in range(count)
    ]
    for account in accounts:
        first = next(device for device in devices if device.account is account)
        first.hot_entries_create()
        first.metrics_upload()
    for device in devices:
        device.pull()
    return devices


def cluster_up(cluster: Cluster) -> tuple[list[str], str]:
    """Primary, synchronous replica, Redis, two nodes, haproxy; the node URLs and haproxy's."""
    started = time.monotonic()

    def step(what: str) -> None:
        print(f"{time.monotonic() - started:5.1f} s: {what}", flush=True)

    primary = primary_create(cluster.root)
    cluster.servers.append(primary)
    migrate(primary.url())
    step("primary up and migrated")
    replica = replica_create(cluster.root, primary)
    cluster.servers.append(replica)
    synchronous_replication(primary, on=True)
    step("replica streaming, synchronous")
    redis, cache_url = redis_start(cluster.root)
    cluster.services.append(redis)
    nodes = nodes_start(cluster, ["node1", "node2"], node_env(primary, replica, cache_url))
    step("app nodes ready")
    haproxy, port = haproxy_start(cluster.root, [port for _, port in nodes], WORKERS_PER_NODE)
    cluster.services.append(haproxy)
    step(f"haproxy ready; cluster under {cluster.root}")
    return [f"http://127.0.0.1:{p}" for _, p in nodes], f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=36)
    parser.add_argument("--kill-node-at", type=float, default=8)
    parser.add_argument("--stop-primary-at", type=float, default=16)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--devices", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the directory (logs)")
    args = parser.parse_args()
    started = time.monotonic()
    cluster = Cluster()
    failures: list[str] = []
    try:
        node_urls, base = cluster_up(cluster)
        primary, replica = cluster.servers
        failures += throttle_shared(node_urls, base)
        failures += read_your_writes(node_urls, base, primary, replica)
        load_failures, _ = load_with_faults(cluster, base, args)
        failures += load_failures
    finally:
        cluster.close(keep=args.keep or bool(failures))
    for line in failures[:50]:
        print(f"FAIL {line}")
    if failures:
        print(f"logs kept in {cluster.root}")
    print(f"\n{'FAILED' if failures else 'PASSED'} in {time.monotonic() - started:.0f} s")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
