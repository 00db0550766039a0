"""Footprint: schema, store, ingestion, snapshots, consent and the season simulator."""

import logging

# Alembic logs each plugin and revision at INFO, some of it while being imported; keep it quiet.
logging.getLogger("alembic").setLevel(logging.WARNING)
