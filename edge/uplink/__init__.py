"""Uplink to roaming and backoffice platforms (OCPI)."""
