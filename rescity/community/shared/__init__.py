"""What several community capabilities share. Imports ``rescity.core`` (and ``rescity.web``
for the web dependencies) only, never another capability.

- ``adapters``: the dwelling, household, resident and care-flag rows every capability scopes
  by, and the idempotency records; ``submissions``: the shared statements of the lean path.
- ``scoping``: who a record belongs to as the policy sees it, and scoped list filters.
- ``idempotency``: replaying a submission's stored answer; ``lean``: the fast route class
  and helpers of the two hot submissions (check-ins, gate scans).
- ``runtime``: settings, cipher, field policies and clock; ``deps``: web dependencies.
- ``sealed``: the description of a column sealed with the data keys (each capability lists
  its own as ``adapters.SEALED``) and moving one column to the newest key.
- ``errors``, ``domain`` (shared input checks), ``schemas`` (the API input base).
"""
