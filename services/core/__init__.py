"""Technical building blocks with no domain rules of their own: settings from the environment,
accepted image bytes, the SSRF-safe URL fetcher, the failure limiter.

Imports only the domain (for its error codes).
"""
