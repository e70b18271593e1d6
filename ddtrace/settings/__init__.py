"""The tracer's configuration: ``ddtrace.config``.

``config`` is built from the ``DD_*`` environment variables (declared with envier in
``ddtrace.settings._env``) the first time one of its settings is read, so importing
this package costs next to nothing. See :class:`Config` and :doc:`configuration`.
"""
from ddtrace.internal import forks as _forks
from ddtrace.settings._config import Config
from ddtrace.settings.integration import IntegrationConfig

#: The process-wide configuration (also ``ddtrace.config``).
config = Config()

_forks.register(config._after_fork_in_child)

__all__ = ["Config", "IntegrationConfig", "config"]
