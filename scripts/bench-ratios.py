#!/usr/bin/env python3
"""Prints oncely/baseline ratios from criterion's estimates of the `call` group.

Usage: scripts/bench-ratios.py target/criterion
"""
import json
import sys
from pathlib import Path

PAIRS = [
    ("GET", "get_reqwest", "get_oncely"),
    ("POST + key, memory store", "post_reqwest", "post_oncely-memory"),
    ("POST + key, SQLite store", "post_reqwest", "post_oncely-sqlite"),
    ("POST + intent id, SQLite store (committed before sending)", "post_reqwest", "post_oncely-sqlite-intent"),
    ("POST, key off (pipeline alone)", "post_reqwest", "post_oncely-nokey"),
]


def median_ns(root: Path, case: str) -> float:
    for name in (case, case.replace("_", "/")):
        path = root / "call" / name / "new" / "estimates.json"
        if path.exists():
            return float(json.loads(path.read_text())["median"]["point_estimate"])
    raise SystemExit(f"no criterion estimate for {case} under {root / 'call'}; run `cargo bench -p oncely --bench overhead` first")


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    print(f"| call | raw reqwest | oncely | ratio |")
    print(f"|---|---:|---:|---:|")
    for label, base, ours in PAIRS:
        b, o = median_ns(root, base), median_ns(root, ours)
        print(f"| {label} | {b / 1000:.1f} µs | {o / 1000:.1f} µs | {o / b:.2f}x |")


if __name__ == "__main__":
    main()
