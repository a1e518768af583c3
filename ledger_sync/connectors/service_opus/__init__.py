"""The Service Opus source database: its schema (as Service Opus defines it), seeding and extraction."""
