"""footprint package."""
