"""The environment settings are read from: the process's, then a ``.env`` file beside manage.py.

Imported first by every settings module, so ``.env`` is read before any value is.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
