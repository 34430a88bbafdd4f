"""Lambda handlers we ship: small, lazy-importing, standard library first."""
