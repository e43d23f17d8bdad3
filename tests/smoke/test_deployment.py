"""The README's Deployment commands: DEBUG=false, migrate, collectstatic, gunicorn."""

from pathlib import Path

import pytest

from tests.smoke import checks
from tests.smoke.servers import SmokeServer

pytestmark = pytest.mark.slow


def test_readiness_answers(deployment: SmokeServer) -> None:
    checks.readiness_answers(deployment)


def test_metrics_hold_the_requests_served_to_the_operator(deployment: SmokeServer) -> None:
    checks.metrics_hold_the_requests_served(deployment)


def test_metrics_are_refused_without_the_operator_token(deployment: SmokeServer) -> None:
    checks.metrics_are_refused_without_the_operator_token(deployment)


def test_the_readme_client_commands_print_decrypted_demo_data(deployment: SmokeServer) -> None:
    checks.readme_client_commands_print_decrypted_demo_data(deployment)


def test_admin_and_docs_assets_come_from_this_server(deployment: SmokeServer) -> None:
    checks.page_assets_come_from_this_server(deployment)


def test_static_files_are_compressed_and_cache_busted(deployment: SmokeServer) -> None:
    checks.static_files_are_compressed_and_cache_busted(deployment)


def test_a_browser_shows_a_styled_admin_and_the_api_operations(
    deployment: SmokeServer, screenshot_dir: Path
) -> None:
    checks.browser_shows_styled_admin_and_the_operations_using_only_this_server(
        deployment, screenshot_dir
    )
