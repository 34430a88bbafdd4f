"""``letrade bench ingest``: the full ingest path against bare WebSocket clients (``run``)."""
