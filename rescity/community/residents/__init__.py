"""Residents: households, registration (by staff, by family, or self-registration with an
invitation), care flags and quarantine, and the residents' data rights (export, deletion,
erasure) and retention, which span every capability's records. The resident and household
rows themselves are in ``shared.adapters``: every capability scopes by them.

May import: any capability, and ``shared``.
"""
