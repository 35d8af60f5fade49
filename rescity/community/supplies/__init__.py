"""Supplies for households under control (anchor: Sahana Eden's inventory module).

Community stores hold items (with units) in lots (with expiry); receipts add lots,
transfers move stock between stores, households request items, and distribution rounds per
building hand them out, by door delivery where the building's control status says so; each
delivery is confirmed. Stock is taken by conditional updates guarded by a CHECK constraint,
so it never goes negative however many rounds run at once. Low stock notifies the grid
worker through the control capability's one notify function.

May import: rescity.core, rescity.community.control (status lookup, notify), and existing
community code only through ``_community.py``.
"""
