"""Reproducible benchmarks (``letrade bench ...``, ``benchmarks/*.py``); stdlib-only at import.

One module per mode: ``ingest/`` (the full ingest path against bare WebSocket clients),
``cache``, ``startup``, ``order``, ``e2e``, registered once in ``modes``; ``suite`` runs them all.
Shared: ``common`` (machine record, CPU pinning, worker runner, medians, histogram export),
``simproc`` (``letrade sim`` in its own process), ``compare`` (``--compare``/``--fail-over``),
``claims`` (the original system's published figures beside ours), ``render`` (tables), ``html``
(``--html``), ``output`` (all of it).
"""
