"""The composition root's parts: each builds one subsystem from the site file.

:class:`edge.app.Site` calls them; they name concrete classes as it does, and
import nothing above :mod:`edge.web`.
"""
