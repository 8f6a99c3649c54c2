"""Use cases: one function each, called by the ingest and web apps, the CLI, the worker and tests.

No Flask here. Every function takes the Database and, where time matters, `now` (unix seconds).
"""
