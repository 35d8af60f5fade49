"""Alerts: the lifecycle (new, acknowledged, resolved) of alerts raised by any capability,
the per-place alert rules, and routing to the nearest grid worker (``raising``).

May import: ``shared``.
"""
