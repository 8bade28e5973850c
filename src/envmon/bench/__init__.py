"""Benchmarks run by ``envmon bench …``: speed figures measured on real databases, with a
baseline measured in the same run. Never imported by the platform itself."""
