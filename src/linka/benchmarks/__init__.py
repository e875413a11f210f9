"""Benchmarks behind ``linka bench``: they print figures, they never assert timings.

Each benchmark builds its own data with the demo generator in a scratch database
(a temporary SQLite file, or a temporary schema on the PostgreSQL server given with
``--database-url``), so running one never touches the operator's data.
"""
