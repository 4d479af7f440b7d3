"""Benchmark scripts (see README.md); a package so that they share bench/loadgen.py."""
