"""Local fidelity guards: AWS limits our own code checks, and where each one is checked.

- State input/output ≤ 256 KiB: checked by the serialize Lambda on its own output (the only state that
  grows with the image). Execution FAILED at "Serialize image data", Error ``DataLimitExceededError``
  (``States.*`` names are reserved), Cause in Step Functions' words.
- Execution input ≤ 256 KiB: ``check_execution_input`` below, before StartExecution (``scones run``),
  so the message names the byte count. The stack itself now refuses it as AWS does
  (``ValidationException``) and fails any state payload over the quota with ``States.DataLimitExceeded``
  (``scones_localstack.stepfunctions.limits``): the same 262,144 bytes of compact UTF-8 JSON.
- Synchronous Lambda response ≤ 6 MB: the serialize Lambda (``Function.ResponseSizeTooLarge``). The stack
  itself now enforces Invoke's limits for every function (``scones_localstack.lambda_limits``: request
  6 MB, Event payload 1 MB, response 6,291,556 bytes), with the same error names.
- InvokeEndpoint body ≤ 6 MB: the stand-in endpoint (413 ValidationError) and the classify Lambda, which
  both surface as ``PayloadTooLargeError`` from classify (not retried).

Why in the Lambda and not in a harness hook: the Lambda is the one piece of our code on the request path in
both targets, and it trips before AWS's own limit, so the failure surfaces at the same state with the
same error name on LocalStack and on AWS,
with no ``if local`` anywhere. The Lambdas ship alone, so they carry their own copy of the numbers; a unit
test checks the copies agree with the constants here.
"""

from __future__ import annotations

import json
from typing import Any

from scones.workflow.errors import RunError

MAX_STATE_BYTES = 262_144
MAX_SYNC_LAMBDA_RESPONSE_BYTES = 6_291_556
MAX_ENDPOINT_PAYLOAD_BYTES = 6_291_456


class ExecutionInputTooLargeError(RunError):
    pass


def check_execution_input(value: Any) -> str:
    """The JSON to pass to StartExecution; refused above 256 KiB as Step Functions refuses it."""
    text = json.dumps(value, separators=(",", ":"))
    size = len(text.encode("utf-8"))
    if size > MAX_STATE_BYTES:
        raise ExecutionInputTooLargeError(
            f"execution input is {size} bytes; Step Functions accepts at most {MAX_STATE_BYTES} bytes"
        )
    return text
