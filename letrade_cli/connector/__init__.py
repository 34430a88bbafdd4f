"""Network I/O and orchestration: WebSocket transport, supervisor, REST client, stream service.

Depends on ``core`` (pure logic) and ``venues`` (dialects); the CLI depends on it.
"""
