"""accounts' admin commands: `python -m accounts migrate | rotate-signing-key | retire-signing-key KID`.

`migrate` also loads the demo network when HUB_DEMO_DATA=1 (idempotent) and prints its credentials."""
from __future__ import annotations

import argparse
import sys

from accounts import demo
from accounts.app import ensure_bootstrap_client_if_configured
from accounts.keys import KeyStore
from accounts.runtime import build_runtime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m accounts")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database, ensure the bootstrap operator client, and with "
                                        "HUB_DEMO_DATA=1 load the demo network")
    commands.add_parser("rotate-signing-key", help="add a new signing key; the old ones stay in the JWKS")
    retire = commands.add_parser("retire-signing-key", help="remove a no longer current key from the JWKS")
    retire.add_argument("kid")
    args = parser.parse_args(argv)

    runtime = build_runtime()
    if args.command == "migrate":
        runtime.migrate()
        ensure_bootstrap_client_if_configured(runtime)
        print("accounts: database migrated")
        if runtime.settings.demo_data:
            print(demo.load(runtime, KeyStore(runtime.settings, runtime.sessions)), end="")
        return 0
    keys = KeyStore(runtime.settings, runtime.sessions)
    try:
        if args.command == "rotate-signing-key":
            print(f"accounts: new signing key {keys.rotate()}")
        else:
            keys.retire(args.kid)
            print(f"accounts: signing key {args.kid} retired")
    except (RuntimeError, LookupError, ValueError) as exc:
        print(f"accounts: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
