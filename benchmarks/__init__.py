"""Benchmarks: run them with `make bench` (python -m benchmarks)."""
