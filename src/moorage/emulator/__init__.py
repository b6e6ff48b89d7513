"""The embedded local emulator: moto's server plus moorage's patches and adapters.

moto's CloudFormation engine skips resource types it does not know, never fails a stack, and loses
outputs after change sets. :mod:`moorage.emulator.engine` fixes the engine (events per resource,
failure and rollback, outputs, deletion policies) and :mod:`moorage.emulator.adapters` creates every
type moorage emits in moto's own service backends, so that ``describe_*`` calls find them.
"""

from moorage.emulator.server import LocalServer, ensure_server, server_status, stop_server

__all__ = ["LocalServer", "ensure_server", "server_status", "stop_server"]
