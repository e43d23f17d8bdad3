"""gunicorn.conf.py as gunicorn loads it: in the master, before any worker forks."""

import subprocess
import sys
from pathlib import Path

from django.conf import settings

# Load the config as gunicorn does, then see how prometheus_client will keep samples in the
# workers forked from this process.
_PROBE = """
import runpy, sys
config = runpy.run_path(sys.argv[1])
from prometheus_client import values
print(values.ValueClass.__name__)
config["on_exit"](None)
"""


def test_the_config_makes_workers_write_metrics_to_the_shared_directory() -> None:
    config = Path(settings.BASE_DIR) / "gunicorn.conf.py"
    env = {"PATH": "/usr/bin:/bin"}  # no PROMETHEUS_MULTIPROC_DIR: the config must set it
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # MmapedValue: samples in files under PROMETHEUS_MULTIPROC_DIR, which /metrics merges.
    assert done.stdout.strip() == "MmapedValue"
