"""What the test process prepares while its LocalStack starts: the boto3 session the deploy's clients come
from, with their models loaded, and the modules the deploy imports.

Why: LocalStack takes about 3 s to answer (its own imports, on one core) while the test process only
polls its health. The deploy that follows then spent about half a second of the test process's own CPU on
its critical path: each boto3 client built cold (service model, endpoint rules: 20-150 ms for each of the
six services) and the tiny model's imports (numpy, onnx). Done here, in a thread while the stack starts,
that work runs on the other core; the deploy's clients come from a session whose loader has every model
already (about 10 ms a client). Nothing is sent to the stack: clients are built, never called.
"""

from __future__ import annotations

import threading
from typing import Any

# The services the deploy and the plugin's fixtures call (scones.workflow.clients.Clients' properties).
CLIENTS = ("sts", "iam", "s3", "lambda_", "sagemaker", "sfn")


class HarnessWarmUp:
    """``run(endpoint_url)`` builds a session and its clients; ``session()`` hands the session over.

    ``run`` is meant for a thread (``start_stack(..., during_start=warm_up.run)``); ``session()`` returns
    None when ``run`` failed or never ran, and the caller builds its own as before.
    """

    def __init__(self) -> None:
        self._session: Any = None
        self.error: BaseException | None = None  # why there is no session (a speed-up: never fatal)
        self._done = threading.Event()

    def run(self, endpoint_url: str) -> None:
        try:
            from scones.workflow import deploy  # noqa: F401  (the deploy's imports, once)
            from scones.workflow.clients import Clients
            from scones.workflow.settings import Target, WorkflowSettings

            clients = Clients(WorkflowSettings(target=Target.LOCAL, endpoint_url=endpoint_url))
            for name in CLIENTS:
                getattr(clients, name)
            clients.client("logs")  # the failure report reads the functions' logs
            import scones.testing.tiny_model  # noqa: F401  (numpy and onnx, for the tiny model)

            self._session = clients.session
        except Exception as exc:  # the caller builds its own clients, as without the warm-up
            self.error = exc
        finally:
            self._done.set()

    def session(self, timeout: float | None = None) -> Any:
        """The warmed boto3 session (after ``run`` ends), or None."""
        self._done.wait(timeout)
        return self._session
