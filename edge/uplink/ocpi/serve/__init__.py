"""Serve: our OCPI endpoints, on a bounded HTTP server."""
