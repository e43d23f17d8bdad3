"""Mixed load on a real gunicorn + PostgreSQL: many devices of many users, nothing lost.

Creates (or recreates) the bench database, starts gunicorn with ``gunicorn.conf.py``
(2 workers per CPU), registers ``--users`` users on full_sync with a real client-made
CKKS public context, pre-encrypts a pool of metric ciphertexts per user with the
reference client, and then runs ``--devices`` simulated devices (threads, one HTTP
session each, spread evenly over the users) for ``--seconds``. Each device loops over a
weighted mix: single pushes, batch pushes, pulls to the end of the feed, deletes,
deliberate conflicts (a device edits an entry and a sibling then pushes from the old
base_revision, lists the conflicts and resolves its one: local, merged or remote),
resolutions of any open conflict, metric uploads and aggregates.

Afterwards every device pulls to the end and its digest must equal the server's
(GET /api/sync/state), every acknowledged write must still be there (at its revision or
superseded in the kept history), every acknowledged metric must be counted and sum to the
right value, and no request may get a 5xx, an unexpected error or no answer. The script
prints requests/s, p50/p95/p99 per endpoint, statuses, CPU shares and the checks, and
exits 1 when a check fails. Usage (from the repository root):

    .venv/bin/python bench/load.py [--seconds 60] [--users 10] [--devices 50]

WEB_CONCURRENCY overrides the number of gunicorn workers.

Server environment (BENCH_DEBUG, BENCH_LOG_LEVEL): see ``bench/common.py``.
"""

import argparse
import base64
import os
import random
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from common import (
    DEFAULT_POSTGRES,
    account_create,
    database_drop,
    database_prepare,
    port_free,
    server_start,
    server_stop,
)
from load_checks import Findings, acks_kept, devices_converge, metrics_kept, open_conflicts
from load_device import Account, Device
from load_report import CpuSample, Recorder, cpu_lines, endpoint_table, status_table

from reflective_client.crypto import CkksKeys


def accounts_create(
    base: str, database_url: str, users: int, devices: int, pool: int
) -> list[Account]:
    """Users on full_sync, each with its key pair and pre-encrypted metric ciphertexts."""
    rng = random.Random(7)
    accounts = []
    for index in range(users):
        keys = CkksKeys.generate()
        token = account_create(base, database_url, public_context=keys.public_context, label="load")
        values = [[float(rng.randint(50, 900)), rng.uniform(-1, 1)] for _ in range(pool)]
        ciphertexts = [(base64.b64encode(keys.encrypt(v)).decode(), v) for v in values]
        share = devices // users + (1 if index < devices % users else 0)
        accounts.append(Account(index, token, keys, ciphertexts, max(1, share)))
    return accounts


def devices_create(base: str, accounts: list[Account], count: int, seed: int) -> list[Device]:
    devices = [
        Device(accounts[n % len(accounts)], n // len(accounts), base, seed + n)
        for n in range(count)
    ]
    for account in accounts:
        first = next(device for device in devices if device.account is account)
        first.hot_entries_create()
        first.metrics_upload()
    for device in devices:
        device.pull()
    return devices


def timed_phase(
    devices: list[Device], seconds: float, server_pid: int
) -> tuple[CpuSample, CpuSample]:
    stop = threading.Event()
    threads = [threading.Thread(target=device.run, args=(stop,)) for device in devices]
    start = CpuSample.take(server_pid)
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return start, CpuSample.take(server_pid)


def collect(devices: list[Device]) -> tuple[Recorder, Counter[str]]:
    """Merge the devices' observations and give each a fresh recorder for the checks."""
    merged, outcomes = Recorder(), Counter[str]()
    for device in devices:
        merged.merge(device.recorder)
        outcomes.update(device.outcomes)
        device.recorder = Recorder()
    return merged, outcomes


def checks_run(accounts: list[Account], devices: list[Device]) -> Findings:
    findings = Findings()
    devices_converge(devices, findings)
    for account in accounts:
        own = [device for device in devices if device.account is account]
        acks_kept(own[0], [ack for device in own for ack in device.acks], findings)
        metrics_kept(own[0], own, findings)
        open_conflicts(own[0], findings)
    return findings


def report(
    args: argparse.Namespace,
    timed: Recorder,
    untimed: Recorder,
    outcomes: Counter[str],
    cpu: tuple[CpuSample, CpuSample],
    findings: Findings,
    loads: tuple[tuple[float, ...], tuple[float, ...]],
) -> list[str]:
    """The figures, and the failures (empty when every check passed)."""
    seconds = cpu[1].wall - cpu[0].wall
    print(f"\n{args.devices} devices over {args.users} users, {seconds:.1f} s timed")
    print(f"load average before: {loads[0]}, after: {loads[1]}")
    print(f"requests: {timed.requests:,} ({timed.requests / seconds:,.1f}/s)\n")
    print("\n".join(endpoint_table(timed, seconds)), "\n")
    print("\n".join(status_table(timed)), "\n")
    print("\n".join(cpu_lines(*cpu, timed.requests)), "\n")
    for outcome, count in sorted(outcomes.items()):
        print(f"- {outcome}: {count:,}")
    print(
        f"\nchecks: {findings.devices_checked} devices pulled to the end; {findings.acks:,} "
        f"acknowledged writes: {findings.kept_current:,} current, {findings.kept_in_history:,} "
        f"superseded and in the kept history, {findings.superseded_beyond_history:,} superseded "
        f"past it; metrics acknowledged {findings.metrics_acked:,}, counted "
        f"{findings.metrics_counted:,}; conflicts left open {findings.open_conflicts:,}"
    )
    return run_failures(findings, timed, untimed, five_xx="with a 5xx status")


def run_failures(
    findings: Findings, timed: Recorder, untimed: Recorder, *, five_xx: str
) -> list[str]:
    """What a load run must not show: lost or divergent writes, unexpected answers, 5xx."""
    both = Recorder()
    both.merge(timed)
    both.merge(untimed)
    failures = [f"lost: {line}" for line in findings.lost]
    failures += [f"divergent: {line}" for line in findings.divergent]
    failures += [f"unexpected: {line}" for line in both.unexpected]
    failures += [f"no answer: {kind} x{n}" for kind, n in both.transport_errors.items()]
    if both.count_at_least(500):
        failures.append(f"{both.count_at_least(500)} answers {five_xx}")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--devices", type=int, default=50, help="in all, spread over the users")
    parser.add_argument("--pool", type=int, default=4, help="ciphertexts pre-encrypted per user")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--database", default="reflective_load")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--drop-database", action="store_true", help="drop it when done")
    parser.add_argument(
        "--database-url", help="use this migrated database as it is instead of --database"
    )
    parser.add_argument("--log", default=str(Path(tempfile.gettempdir()) / "load_bench.log"))
    args = parser.parse_args()

    port = port_free(args.port)
    loads_before = tuple(round(x, 2) for x in os.getloadavg())
    started = time.perf_counter()
    database_url = args.database_url or database_prepare(args.postgres, args.database)
    print(f"database ready: {time.perf_counter() - started:.1f} s")
    server = server_start(database_url, port, Path(args.log))
    print(f"gunicorn answering: {time.perf_counter() - started:.1f} s")
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        accounts = accounts_create(base, database_url, args.users, args.devices, args.pool)
        devices = devices_create(base, accounts, args.devices, args.seed)
        print(
            f"setup (accounts, keys, {args.pool * args.users} ciphertexts, first pulls): "
            f"{time.perf_counter() - started:.1f} s"
        )
        untimed, _ = collect(devices)  # setup traffic: checked, but not in the figures
        cpu = timed_phase(devices, args.seconds, server.pid)
        loads_after = tuple(round(x, 2) for x in os.getloadavg())
        timed, outcomes = collect(devices)
        findings = checks_run(accounts, devices)
        untimed.merge(collect(devices)[0])
    finally:
        server_stop(server)
        if args.drop_database and not args.database_url:
            database_drop(args.postgres, args.database)
    failures = report(args, timed, untimed, outcomes, cpu, findings, (loads_before, loads_after))
    for line in failures[:50]:
        print(f"FAIL {line}")
    print(f"\n{'FAILED' if failures else 'PASSED'}: {len(failures)} failures")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
