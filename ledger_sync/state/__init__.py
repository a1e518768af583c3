"""The sync state store: connections, mappings, entity map, checkpoints, runs and parked records."""
