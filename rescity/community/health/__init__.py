"""Health: daily check-ins (temperature, symptoms, risk answers; never a location), the
missing list, and the fever, symptom and missed-check-in alerts.

May import: ``alerts``, ``shared``.
"""
