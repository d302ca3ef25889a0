"""The controller's own HTTP server: the local API and the commissioning page.

:mod:`edge.web.server` runs one ASGI app (FastAPI, imported only in this
package) on the ``[web]`` section's address; :mod:`edge.web.api` is the local
API under ``/api/v1``, documented by the OpenAPI file generated from it
(``edge/web/openapi.json``, ``edge api openapi``).
"""
