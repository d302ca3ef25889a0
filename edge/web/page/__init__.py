"""The commissioning page: static assets, login, and the page's own JSON.

Everything the browser loads is in this package (``static/``): no CDN, no
build step. :func:`include` mounts:

- ``/`` (redirect) and ``/page/``: the page, and ``/page/static/<file>``;
- ``/page/api/auth``, ``/setup``, ``/login``, ``/logout``: :mod:`edge.web.login`;
- ``/page/api/v1/...``: the local API's GET routes (site, EVSEs, sessions,
  tokens, sync) behind the login cookie instead of the bearer token;
- ``/page/api/contactors`` and ``/page/api/contactors/{uid}/test``: the
  contactor test (:mod:`edge.evse.contactor_test`).

None of it is in the API's OpenAPI document.
"""

from edge.web.page.routes import include

__all__ = ["include"]
