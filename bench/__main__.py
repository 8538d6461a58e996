"""`python -m bench`: run every benchmark with its default (quick) settings, one after another."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "store_bench.py",
    "allocation_bench.py",
    "apiserver_bench.py",
    "endpointslice_bench.py",
    "controller_manager_bench.py",
]


def main() -> int:
    failed = []
    for name in ORDER:
        print(f"\n=== {name} ===", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / name)], cwd=HERE.parent)
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
