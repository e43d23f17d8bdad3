"""Load figures: per-endpoint latencies and statuses, CPU shares, and their tables."""

import math
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Recorder:
    """One device's observations; merged after the threads stop, so it needs no lock."""

    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)

    def answered(self, label: str, status: int, elapsed_ms: float) -> None:
        self.latencies_ms[label].append(elapsed_ms)
        self.statuses[(label, status)] += 1

    def merge(self, other: "Recorder") -> None:
        for label, values in other.latencies_ms.items():
            self.latencies_ms[label].extend(values)
        self.statuses.update(other.statuses)
        self.transport_errors.update(other.transport_errors)
        self.unexpected.extend(other.unexpected)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def count_at_least(self, status: int) -> int:
        return sum(n for (_label, code), n in self.statuses.items() if code >= status)


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def endpoint_table(recorder: Recorder, seconds: float) -> list[str]:
    rows = [
        "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | statuses |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for label in sorted(recorder.latencies_ms, key=lambda name: -len(recorder.latencies_ms[name])):
        ordered = sorted(recorder.latencies_ms[label])
        statuses = sorted(
            (code, n) for (name, code), n in recorder.statuses.items() if name == label
        )
        shown = ", ".join(f"{code}: {n:,}" for code, n in statuses)
        rows.append(
            f"| `{label}` | {len(ordered):,} | {len(ordered) / seconds:,.1f} | "
            f"{percentile(ordered, 0.5):,.1f} | {percentile(ordered, 0.95):,.1f} | "
            f"{percentile(ordered, 0.99):,.1f} | {shown} |"
        )
    return rows


def status_table(recorder: Recorder) -> list[str]:
    totals: Counter[int] = Counter()
    for (_label, code), n in recorder.statuses.items():
        totals[code] += n
    rows = ["| status | count |", "|---|---:|"]
    rows += [f"| {code} | {n:,} |" for code, n in sorted(totals.items())]
    rows += [
        f"| transport error ({kind}) | {n:,} |" for kind, n in recorder.transport_errors.items()
    ]
    return rows


# --- CPU -------------------------------------------------------------------------------
def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd on (state, ppid, ...)


def process_tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid``, its reaped children and its live children (gunicorn workers)."""
    own = _stat_fields(pid)
    if own is None:
        return 0.0
    # utime, stime, cutime, cstime are fields 14-17, i.e. 11-14 counted from the 3rd.
    ticks = sum(int(value) for value in own[11:15])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and fields[1] == str(pid):
                ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process (backends and background workers).

    The postmaster's reaped-children fields hold the backends that have exited, so a
    connection closed between two readings does not make the difference negative.
    """
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "comm").read_text().strip()
        except OSError:
            continue
        fields = _stat_fields(int(entry.name)) if command == "postgres" else None
        if fields is not None:
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


@dataclass
class CpuSample:
    wall: float
    generator: float
    server: float
    machine_busy: float
    machine_total: float

    @classmethod
    def take(cls, server_pid: int) -> "CpuSample":
        busy, total = machine_busy_seconds()
        return cls(
            time.perf_counter(), time.process_time(), process_tree_cpu(server_pid), busy, total
        )


def cpu_lines(start: CpuSample, end: CpuSample, requests: int) -> list[str]:
    wall = end.wall - start.wall
    cores = os.cpu_count() or 1
    machine = (end.machine_busy - start.machine_busy) / (end.machine_total - start.machine_total)
    generator = end.generator - start.generator
    server = end.server - start.server
    per_request = 1000 / max(1, requests)
    return [
        f"- load generator (this process, all threads): {generator / wall:.2f} cores, "
        f"{generator * per_request:.1f} ms per request",
        f"- gunicorn master and workers: {server / wall:.2f} cores, "
        f"{server * per_request:.1f} ms per request",
        f"- whole machine busy: {machine * cores:.2f} of {cores} cores "
        "(PostgreSQL and anything else running is the rest)",
    ]
