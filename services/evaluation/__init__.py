"""Comparing values and scoring extractions: shared by the benchmarks, the tests and the app's
figures (a correction that only changes spacing or case is not a correction)."""
