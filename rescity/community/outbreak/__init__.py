"""Outbreak: case records (一人一档), exact maps for staff, published statistics through
differential privacy, and transmission chains.

- ``domain``: case statuses and the rules a record must meet (pure).
- ``dp``: the discrete Laplace mechanism (OpenDP), suppression below k (pure).
- ``adapters``: tables of cases, clusters, releases, the privacy-budget ledger.
- ``cases`` / ``publish``: services; ``chain``: the transmission graph as SVG.
- ``public_map``: what the public case map draws from a stored release (noised counts only).
- ``api`` / ``pages``: the web surface.

May import ``rescity.core``; of the rest of community only the resident and dwelling tables
(``links.py``, the one place that does) and nothing that imports this package back, except
the dashboard's hook into ``publish.noised_dashboard``.
"""
