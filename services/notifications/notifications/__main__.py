"""Admin commands: `python -m notifications migrate` and `python -m notifications reencrypt-secrets`."""
from __future__ import annotations

import argparse

from shared.db import unit_of_work

from notifications import signing_secrets
from notifications.bootstrap import build_runtime
from notifications.notices import preferences


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m notifications")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the database schema")
    commands.add_parser("reencrypt-secrets",
                        help="re-encrypt webhook secrets and people's email addresses with the current key "
                             "of NOTIFICATIONS_SECRET_KEYS")
    args = parser.parse_args(argv)
    runtime = build_runtime()
    if args.command == "migrate":
        runtime.migrate()
    else:
        with unit_of_work(runtime.sessions) as session:
            ring = runtime.extras["keyring"]
            count = signing_secrets.reencrypt_all(session, ring) + preferences.reencrypt_all(session, ring)
        print(f"re-encrypted {count} secrets and addresses with key {runtime.extras['keyring'].current}")


if __name__ == "__main__":
    main()
