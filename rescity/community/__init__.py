"""community: run a community through an emergency, with personal data protected.

One package per capability, each with the same layers inside (``domain`` pure rules,
``adapters`` ORM tables and statements, ``services`` use cases on a unit of work, and
``api``/``pages``/``cli`` entrypoints), so that a change to one capability stays in one folder:

- ``shared``: what several capabilities share: the resident and household rows everyone scopes
  by, scoping, idempotency, the lean submission path, the runtime, web dependencies, errors,
  common input checks and schema base.
- ``alerts``: the alert lifecycle and the per-place alert rules, used by every other capability.
- ``health``: daily check-ins and the fever, symptom and missed-check-in alerts.
- ``access``: passes, gates, gate scans and visitors.
- ``cases``: work orders (hotline, Open311), dispatch, urging, escalation and scores.
- ``help``: help requests, volunteers and matching.
- ``sensors``: devices, MQTT ingest and sensor rules.
- ``dashboard``: desensitised figures across health, access and alerts.
- ``residents``: households, registration, invitations, data rights and retention.
- ``demo``: demo data for ``rescity demo``.

Dependencies point one way: a package imports only from lower layers (drawn in
docs/architecture.md; ``tests/community/test_layout.py`` checks it)::

    5  demo
    4  residents (data rights and retention span every capability)   dashboard
    3  help   sensors
    2  health   access   cases
    1  alerts
    0  shared

``adapters/migrations`` holds the module's Alembic revisions (table names never change).
The policy data files (``*.toml``) stay at this package's top level.
"""
