"""Benchmarks: accuracy of an extractor on a synthetic set (`bench/accuracy.py`) and baselines."""
