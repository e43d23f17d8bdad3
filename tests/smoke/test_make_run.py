"""``make run`` as a new user types it: the Makefile's steps, the shipped gunicorn.conf.py."""

from pathlib import Path

import pytest

from tests.smoke import checks
from tests.smoke.servers import SmokeServer

pytestmark = pytest.mark.slow


def test_make_run_says_what_to_do_next(make_run: SmokeServer) -> None:
    checks.make_run_says_what_to_do_next(make_run)


def test_readiness_answers(make_run: SmokeServer) -> None:
    checks.readiness_answers(make_run)


def test_metrics_hold_the_requests_served_to_this_machine(make_run: SmokeServer) -> None:
    checks.metrics_hold_the_requests_served(make_run)


def test_the_readme_client_commands_print_decrypted_demo_data(make_run: SmokeServer) -> None:
    checks.readme_client_commands_print_decrypted_demo_data(make_run)


def test_admin_and_docs_assets_come_from_this_server(make_run: SmokeServer) -> None:
    checks.page_assets_come_from_this_server(make_run)


def test_a_browser_shows_a_styled_admin_and_the_api_operations(
    make_run: SmokeServer, screenshot_dir: Path
) -> None:
    checks.browser_shows_styled_admin_and_the_operations_using_only_this_server(
        make_run, screenshot_dir
    )
