"""The HTTP client to the backoffice: calls, their failures, backoff."""
