"""community: run a community through an emergency, with personal data protected.

Part I: residents and households, health check-ins, passes, gates and visitors, alerts and the
dashboard. Layers: ``domain`` (pure rules), ``adapters`` (ORM tables, migrations),
``services`` (use cases on a unit of work), ``entrypoints`` (API, pages, CLI, demo).
"""
