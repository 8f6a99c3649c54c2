"""The only package that holds SQL. Connections, dialects, migrations and queries."""
