"""Ingestion of footprint files: read, validate, quarantine, apply in one transaction per file."""
