"""Extraction backends behind one interface: the local engine, a self-hosted server, the cloud."""

from services.backends.base import Extractor

__all__ = ["Extractor"]
