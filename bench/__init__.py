"""Load benchmarks of the complaint portal: ``python -m bench`` (or ``make bench``) against PostgreSQL.

The database comes from ``DATABASE_URL`` (a generated load database, see ``python -m bench generate``). Each
run appends a dated section to docs/benchmarks.md; earlier sections are never rewritten.
"""
