"""Shipped rating rules (package data): ``rules-default.toml`` and, later, one file per season."""
