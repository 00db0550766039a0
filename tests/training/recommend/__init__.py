"""recommend tests."""
