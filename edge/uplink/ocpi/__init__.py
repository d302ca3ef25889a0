"""OCPI 2.2.1 uplink to eMSP backoffices."""
