"""Help: residents' help requests, vetted volunteers, and matching them (offers, expiry,
escalation of requests no one takes).

May import: ``cases`` (its runtime and web dependency only), ``alerts``, ``shared``.
"""
