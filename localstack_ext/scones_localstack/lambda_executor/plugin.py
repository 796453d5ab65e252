"""plux entry point of the process runtime executor (``LAMBDA_RUNTIME_EXECUTOR=process``).

plux imports every entry point of the namespace to resolve it, so this module stays cheap: the
executor (and LocalStack's Lambda internals it needs) is imported only in ``load()``.
"""

from __future__ import annotations

from typing import Any

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class ProcessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "process"

    def load(self, *args: Any, **kwargs: Any) -> type:
        from scones_localstack.lambda_executor.executor import ProcessRuntimeExecutor

        return ProcessRuntimeExecutor
