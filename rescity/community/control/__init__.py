"""Building control status (封控 sealed / 管控 controlled / 防范 precaution, configurable).

A health officer sets a status on a grid (or any place) or on one building of a grid, for a
period; gate scans consult it (``gate.exit_check``, called from the scan flow so that the
synchronous and the event-loop paths decide alike); each change notifies the grid worker
through :func:`notify.notify_grid_worker`, the one call to swap for a notification outbox.

May import: rescity.core, and existing community code only through ``_community.py``.
"""
