"""accounts' admin commands: `python -m accounts migrate | rotate-signing-key | retire-signing-key KID`."""
from __future__ import annotations

import argparse
import sys

from accounts.app import ensure_bootstrap_client_if_configured
from accounts.keys import KeyStore
from accounts.runtime import build_runtime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m accounts")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database, then ensure the bootstrap operator client")
    commands.add_parser("rotate-signing-key", help="add a new signing key; the old ones stay in the JWKS")
    retire = commands.add_parser("retire-signing-key", help="remove a no longer current key from the JWKS")
    retire.add_argument("kid")
    args = parser.parse_args(argv)

    runtime = build_runtime()
    if args.command == "migrate":
        runtime.migrate()
        ensure_bootstrap_client_if_configured(runtime)
        print("accounts: database migrated")
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
