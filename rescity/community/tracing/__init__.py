"""tracing: presence tracing that never centralises who was where.

A venue (shop, clinic waiting room, canteen, lift lobby) gets a printable QR code; a visitor's
phone keeps its check-ins only in its own browser storage, sealed per hour slot. When a health
officer confirms that a case was at a venue during a window, the server publishes the keys of
that venue's slots in that window only; phones match and decrypt locally. The server stores no
visit. Protocol and threat model: docs/community/presence-tracing.md.

Layers: ``domain`` (the protocol on libsodium through PyNaCl, no I/O), ``adapters`` (venues and
published traces), ``services`` (use cases on a unit of work), ``api`` / ``pages`` (web).
May import: nothing of community (``rescity.core`` and ``rescity.web`` only).
"""
