"""Reference extractors the engine is compared with."""
