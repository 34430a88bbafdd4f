"""Reproducible benchmarks (``letrade bench ...``, ``benchmarks/*.py``); stdlib-only at import."""
