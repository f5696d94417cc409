"""Realistic, reproducible bulk data for benchmarks: ``python -m bench generate --complaints 1000000``.

Platforms, consumers, complaints with their clocks, timelines (valid hash chains), evidence rows without file
bodies, and penalties for the worst offenders. PostgreSQL builds the rows itself (``INSERT … SELECT`` over
``generate_series`` with a seeded ``random()``), so a million complaints take minutes instead of an hour of
Python. The timeline hashes are computed in SQL with exactly the canonical form of
``complaints.events.canonical_event``; a test verifies generated chains with the application's own verifier.

Generated rows are recognised by reserved names (``marks``), so real data is never mixed in silently.
Modules: ``run`` (the run and its checks), ``rows`` (ORM rows), ``staging`` (SQL staging tables),
``writing`` (the bulk copy), ``marks``, ``cli``. This package imports no model until a submodule is imported,
so the command line can parse its arguments before Django is set up.
"""
