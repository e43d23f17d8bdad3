"""`manage.py check --deploy` under production settings: only the documented W021 remains."""

import re
from pathlib import Path

import pytest

from reflective.tests.production import run_production

pytestmark = pytest.mark.slow

# HSTS preload is the domain owner's opt-in (README, Deployment).
ACCEPTED = {"security.W021"}


def test_deploy_check_reports_only_the_preload_opt_in(tmp_path: Path) -> None:
    done = run_production(["manage.py", "check", "--deploy"], tmp_path)
    reported = set(re.findall(r"\(([a-z_.]+\.[EW]\d{3})\)", done.stdout + done.stderr))
    assert done.returncode == 0, done.stderr[-2000:]
    assert reported == ACCEPTED


def test_deploy_check_is_clean_once_preload_is_opted_in(tmp_path: Path) -> None:
    done = run_production(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        SECURE_HSTS_PRELOAD="true",
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "no issues" in done.stdout


def test_production_refuses_to_start_without_a_real_secret_key(tmp_path: Path) -> None:
    done = run_production(["manage.py", "check"], tmp_path, SECRET_KEY="short")
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
