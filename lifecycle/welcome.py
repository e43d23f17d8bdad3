"""What ``make run`` prints once the server answers: where to go, who to log in as, what to run.

It sits beside the demo accounts it lists (``lifecycle.demo``), not in the base ``reflective``
package, which imports no app.

Started by the Makefile next to gunicorn (``python -m lifecycle.welcome URL``): it waits for
``/api/health/ready``, prints, and exits. If gunicorn exits first (a port in use), it stops
waiting, so it never greets a server that is not the one ``make run`` started.
"""

import os
import sys
import time
import urllib.error
import urllib.request

import django

WAIT_SECONDS = 120


def server_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/health/ready", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_for(url: str, parent_pid: int) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and os.getppid() == parent_pid:
        if server_ready(url):
            return True
        time.sleep(0.5)
    return False


def welcome_text(url: str) -> str:
    from lifecycle.demo import DEMO_USERS
    from reflective_client.api import DEFAULT_SERVER_URL

    client = ".venv/bin/python -m reflective_client"
    if url != DEFAULT_SERVER_URL:
        client = f"REFLECTIVE_SERVER_URL={url} {client}"
    width = max(len(f"{email} / {password}") for email, password, _tier in DEMO_USERS)
    logins = "\n".join(
        f"  {f'{email} / {password}':<{width}}  {tier}" for email, password, tier in DEMO_USERS
    )
    return f"""
Reflective is up at {url}

  API docs (Swagger UI)  {url}/api/docs/
  Admin                  {url}/admin/   (make a login: .venv/bin/python manage.py createsuperuser)
  Metrics                {url}/metrics  (from this machine only)

Demo logins (email / password, privacy tier):
{logins}

The demo journal, decrypted on this machine with the demo keys the seed wrote:
  {client} --as test@example.com entries
  {client} --as test@example.com insights --bucket week

Stop the server with Ctrl-C.
"""


def main(argv: list[str]) -> int:
    url = argv[0].rstrip("/")
    if not wait_for(url, os.getppid()):
        return 1
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflective.settings")
    django.setup()
    print(welcome_text(url), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
