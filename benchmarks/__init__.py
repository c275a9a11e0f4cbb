"""Benchmarks: ``python -m benchmarks.run`` prints one JSON line per figure."""
