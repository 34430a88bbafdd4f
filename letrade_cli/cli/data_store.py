"""`letrade data ls|query|import`: what the store holds, SQL over it, collector data into it."""

from __future__ import annotations
