"""The staff map: open cases, help requests and alerts by grid, on the place boundaries.

Each layer is read under its own permission (``community.case.read``, ``community.help.read``,
``community.alert.read``) inside the places where the reader holds it, so a grid worker sees
their grid and community staff their community; a reader with none of them gets 403. The map
shows no personal data: kind, status, public id, grid, and a link to the item's page.

May import: ``alerts``, ``cases``, ``help``, ``shared``.
"""
