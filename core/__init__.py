"""The kernel every other package stands on: errors, logging, instants, hashing and the settings
shared by all. It imports nothing of this project, so any package may import it."""
