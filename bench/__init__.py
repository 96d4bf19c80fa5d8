"""`make bench`: the bare baselines and the hub, measured in the same run (see bench/README.md)."""
