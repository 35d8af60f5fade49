"""Cases: work orders from the hotline, the app, Open311 and sensors; dispatch to handlers,
urging (催办), referral, merging, resolution and rating; the deadline sweep that escalates
overdue cases (``sweep``) by the service levels in ``service_levels.toml``; monthly scores.

``runtime`` (the runtime with the service levels and the part II field policies) and ``deps``
are shared with ``help`` and ``sensors``.

May import: ``alerts``, ``shared``.
"""
