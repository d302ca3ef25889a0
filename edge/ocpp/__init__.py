"""The OCPP central system: third-party chargers connect to us over OCPP-J.

``frames`` is the only importer of ``ocpp`` and ``server`` the only importer of
``websockets``; ``handlers/`` answers what chargers call us, ``calls/`` carries
what we call them; ``central`` ties a connection to both.
"""
