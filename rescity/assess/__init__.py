"""assess: 15-minute life circle and resilience evaluation from OpenStreetMap."""
