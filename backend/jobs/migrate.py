"""Apply the database migrations: ``python -m backend.jobs.migrate`` (a deploy's first step).

The run command does this itself; containers run it as an init step before the backend starts.
"""

from __future__ import annotations

import sys

from backend.db import upgrade_database
from backend.settings import get_settings


def main() -> int:
    upgrade_database(get_settings().database_url)
    print("database at the newest revision")
    return 0


if __name__ == "__main__":
    sys.exit(main())
