"""Dashboard: one screen of desensitised figures for a place (counts below k withheld).

May import: ``health``, ``access``, ``alerts``, ``shared``.
"""
