"""The benchmark harness (`make bench`); see benchmarks/README.md."""
