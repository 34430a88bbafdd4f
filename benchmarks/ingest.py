"""Ingest benchmark, runnable directly: ``python benchmarks/ingest.py --messages 1000000``.

A thin wrapper over ``letrade bench ingest`` (the implementation is ``letrade_cli.bench``): same
options, except that the JSON document goes to stdout by default (``--no-json`` to turn it off).
The table and progress go to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    try:
        from letrade_cli.cli.app import main
    except ImportError:  # a checkout that is not installed: use the repository's package
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from letrade_cli.cli.app import main

    args = sys.argv[1:]
    if "--json" not in args and "--no-json" not in args and not {"-h", "--help"} & set(args):
        args.append("--json")
    sys.argv = [sys.argv[0], "bench", "ingest", *args]
    main()
