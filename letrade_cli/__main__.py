"""``python -m letrade_cli``: the same as the ``letrade`` command."""

from __future__ import annotations

from letrade_cli.cli.entry import main

if __name__ == "__main__":
    main()
