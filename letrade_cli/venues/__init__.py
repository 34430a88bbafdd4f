"""Venue dialects: symbols, decoders, subscriptions and endpoints per exchange."""
