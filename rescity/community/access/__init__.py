"""Access: residents' passes (signed QR tokens), gates, gate scans (a hot submission) and
visitors; alerts for quarantine breaches and too-frequent passages.

May import: ``alerts``, ``shared``.
"""
