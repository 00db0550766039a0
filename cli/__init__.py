"""The `talent` command line."""
