"""Benchmarks (not tests): ``make bench`` runs the quick versions, see bench/run.py."""
