"""Admin commands: `python -m referrals migrate`, `python -m referrals rotate-keys`."""
from __future__ import annotations

import argparse

from referrals.bootstrap import build_runtime
from referrals.keyrotation import rotate_keys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m referrals")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the referrals database")
    rotate = commands.add_parser("rotate-keys", help="re-encrypt client data and recompute blind indexes under "
                                                      "the current (first) keys; safe to repeat")
    rotate.add_argument("--batch", type=int, default=200, help="rows per committed batch (default 200)")
    args = parser.parse_args(argv)
    runtime = build_runtime()
    try:
        if args.command == "migrate":
            runtime.migrate()
        elif args.command == "rotate-keys":
            print(rotate_keys(runtime, args.batch))
    finally:
        runtime.engine.dispose()


if __name__ == "__main__":
    main()
