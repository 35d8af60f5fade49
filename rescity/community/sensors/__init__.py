"""Sensors: devices, their readings over HTTP and MQTT, and the rules that turn readings into
alerts and cases.

May import: ``cases``, ``alerts``, ``shared``.
"""
