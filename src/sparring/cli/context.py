"""The CLI's composition root: one ``Sparring`` per invocation, from the settings of the environment.

The command line is where a CLI process reads its settings (``get_settings()``); commands take the database,
content, engines and job queue from ``root()`` and pass them to the services. ``PLUGINS`` is the entry-point
registry of this process: the command groups are registered from it at import, and the root uses the same one.
"""

from __future__ import annotations

from sparring.kernel.plugins import Plugins
from sparring.root import Sparring
from sparring.settings import get_settings

PLUGINS = Plugins()
_root: Sparring | None = None


def root() -> Sparring:
    """The application of this invocation; rebuilt when the settings were reloaded (tests change the environment
    and call ``reset_settings_cache``)."""
    global _root
    settings = get_settings()
    if _root is None or _root.settings is not settings:
        _root = Sparring(settings, plugins=PLUGINS)
    return _root
