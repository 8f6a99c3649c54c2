"""Operator tooling behind deploy/release, deploy/activate and deploy/local-cluster (not imported by
the app). Standard library + Jinja2 only, so it runs from any release's venv."""
