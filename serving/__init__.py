"""The serving API and the moderators' workspace (FastAPI). Never trains: it loads bundles."""

__version__ = "0.1.0"
