"""competence tests."""
