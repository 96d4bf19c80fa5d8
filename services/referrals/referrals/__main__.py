"""Admin commands: `python -m referrals migrate`."""
from __future__ import annotations

import argparse

from referrals.bootstrap import build_runtime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m referrals")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the referrals database")
    args = parser.parse_args(argv)
    runtime = build_runtime()
    if args.command == "migrate":
        runtime.migrate()


if __name__ == "__main__":
    main()
