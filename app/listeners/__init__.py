"""StatsD and Graphite plaintext listeners.

Pure modules (no sockets, no database): `statsd` parses and aggregates StatsD lines per flush,
`plaintext` parses Graphite's `path value timestamp` lines, `routing` maps metric names to
accounts. I/O lives in `server` (asyncio UDP/TCP and the flush loop), which hands each flush to
the ingest interactors in one bulk commit.
"""
