"""The local stack: LocalStack in host mode (no Docker) with our extensions, one per port."""

from scones.stack.clients import LOCAL_CREDENTIALS, LOCAL_REGION, local_client, shell_exports
from scones.stack.errors import StackError
from scones.stack.process import StackState, StackStatus, free_port, start, status, stop
from scones.stack.settings import StackSettings

__all__ = [
    "LOCAL_CREDENTIALS",
    "LOCAL_REGION",
    "StackError",
    "StackSettings",
    "StackState",
    "StackStatus",
    "free_port",
    "local_client",
    "shell_exports",
    "start",
    "status",
    "stop",
]
