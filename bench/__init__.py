"""Benchmarks of ASSIST Assistant; run them with ``.venv/bin/python -m bench`` (see __main__)."""
