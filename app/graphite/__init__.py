"""A Graphite-compatible read API (what Grafana's Graphite data source calls).

Pure modules: `paths` (wildcard patterns, /metrics/find), `timeparse` (from/until), `targets`
(the target expression parser), `series` and `functions` (the render functions), `formats`
(json, csv, svg, png). Reading points is in app/interactors/graphite.py.
"""
