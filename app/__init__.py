"""Eyrie: a self-hosted, StatHat-compatible stats service. No I/O at import."""

__version__ = "0.1.0"
