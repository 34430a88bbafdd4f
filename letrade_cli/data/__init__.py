"""Market data at rest: the Parquet store, downloads, recordings, imports and SQL over them."""
