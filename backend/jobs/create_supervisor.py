"""Create a helpline staff account (the first supervisor, or an agent with --role agent).

The password is never a command-line argument: it comes from ``STAFF_PASSWORD`` or a prompt
(asked twice). Run after migrating: ``python -m backend.jobs.create_supervisor --email … --name …``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from backend.db import session_scope
from backend.services.staff_auth import ROLES, StaffError, create_staff
from backend.settings import get_settings


def _password() -> str:
    from_env = os.environ.get("STAFF_PASSWORD")
    if from_env:
        return from_env
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise StaffError("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m backend.jobs.create_supervisor", description=__doc__
    )
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--role", choices=ROLES, default="supervisor")
    parser.add_argument("--database-url", default=settings.database_url)
    args = parser.parse_args(argv)
    try:
        password = _password()
        with session_scope(args.database_url) as db:
            staff = create_staff(db, args.email, args.name, password, args.role)
            print(f"created {staff.role} {staff.email} (id {staff.id})")
    except StaffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
