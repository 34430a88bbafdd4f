"""`letrade data download`: history from a venue's REST API into the store, resumable."""

from __future__ import annotations
