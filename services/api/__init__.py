"""The seed-compatible HTTP API server (`python -m services.api`); see docs/api.md."""
