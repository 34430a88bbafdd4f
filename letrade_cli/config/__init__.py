"""Settings: typed profiles resolved as defaults < profile YAML < environment < flags."""
