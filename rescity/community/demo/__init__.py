"""Demo data for ``rescity demo``: households, residents and check-ins (``households``),
cases, help requests and sensors (``casework``), a vetted volunteer (``volunteers``).

May import: any capability.
"""
