"""Orders, risk limits, strategies, paper broker, SQLite ledger and reports."""
