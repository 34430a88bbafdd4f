"""Typer application: one module per command group; parses, delegates, renders."""
