"""Settings for the test suite: the real settings in test mode.

pytest-django configures Django before any conftest.py runs, so test mode is switched on
here. Tests ignore the developer's .env, and use their own embedded servers under
.data/test/ (or DATABASE_URL / REDIS_URL from the real environment when set).
"""

import os
from pathlib import Path

os.environ.setdefault("AGNT_TESTING", "true")
os.environ.setdefault("AGNT_DATA_DIR", str(Path(__file__).resolve().parent.parent / ".data" / "test"))

from agnt.settings import *  # noqa: E402,F401,F403
