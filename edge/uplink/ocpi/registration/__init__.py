"""Registration with one backoffice: handshake, credentials, where we may call."""
