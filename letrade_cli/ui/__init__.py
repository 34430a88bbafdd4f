"""Rich renderables: live tables and summaries."""
