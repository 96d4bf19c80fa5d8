"""Admin commands: `python -m notifications migrate` and `python -m notifications reencrypt-secrets`."""
from __future__ import annotations

import argparse

from shared.db import unit_of_work

from notifications import signing_secrets
from notifications.bootstrap import build_runtime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m notifications")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the database schema")
    commands.add_parser("reencrypt-secrets",
                        help="re-encrypt webhook secrets with the current key of NOTIFICATIONS_SECRET_KEYS")
    args = parser.parse_args(argv)
    runtime = build_runtime()
    if args.command == "migrate":
        runtime.migrate()
    else:
        with unit_of_work(runtime.sessions) as session:
            count = signing_secrets.reencrypt_all(session, runtime.extras["keyring"])
        print(f"re-encrypted {count} secrets with key {runtime.extras['keyring'].current}")


if __name__ == "__main__":
    main()
