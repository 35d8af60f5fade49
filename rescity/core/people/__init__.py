"""People administration: list and search users, disable and enable them, grant and withdraw
roles on places, reset passwords, list and revoke API tokens and browser sessions.

- :mod:`.rules`: who may manage whom (pure: principals, grants and place paths in, a
  decision out; no database).
- :mod:`.directory`: the read side (search with pagination, one user's roles, tokens and
  sessions).
- :mod:`.services`: the use cases; each takes a unit of work, checks :mod:`.rules`, writes
  the change and its audit row in one transaction and commits.

Two roles administer people: ``city_admin`` (every role, within its place) and
``community_admin`` (place-bound roles within its community, never an administrator's
account). Both reach these use cases through the ``user.manage`` action.
"""
