"""Errors the endpoint raises, each typed by the (AWS error code, HTTP status) botocore expects.

botocore reads the code from the ``x-amzn-ErrorType`` header and the message from the JSON body's
``message``/``Message``; for ModelError it merges OriginalStatusCode/OriginalMessage/LogStreamArn from the
body (docs: ../shared/docs/sagemaker.md §1). Everything below the HTTP layer raises these; app.py maps
them once.

Hierarchy::

    EndpointError
    ├── ValidationError                 ValidationError 400
    │   ├── EndpointNotFoundError
    │   ├── ConstraintViolationError        (the API model's min/max/pattern, worded as AWS words them)
    │   ├── PayloadTooLargeError
    │   └── UnknownVariantError
    ├── ModelError                      ModelError 424 (the container's own status in OriginalStatusCode)
    │   ├── UndecodableImageError           400
    │   ├── ImageTooLargeError              400 (decompression-bomb-sized)
    │   ├── UnsupportedContentTypeError     415
    │   └── UnsupportedAcceptError          406
    ├── ModelNotReadyError              ModelNotReadyException 429
    ├── RequestTimeoutError             RequestTimeoutException 408 (the body did not arrive in time)
    └── InternalFailureError            InternalFailure 500
    ArtifactError (not an HTTP error: the model artifact is unusable; reported by /ping and the logs)
"""

from __future__ import annotations

from typing import ClassVar


class EndpointError(Exception):
    """Base: anything that becomes an AWS-shaped error response."""

    code: ClassVar[str] = "InternalFailure"
    status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, object]:
        return {"message": self.message, "Message": self.message}


class ValidationError(EndpointError):
    code = "ValidationError"
    status = 400


class EndpointNotFoundError(ValidationError):
    def __init__(self, endpoint_name: str, account_id: str) -> None:
        super().__init__(f"Endpoint {endpoint_name} of account {account_id} not found.")


class ConstraintViolationError(ValidationError):
    """Input that breaks the API model's constraints, in AWS's wording: "N validation error(s) detected: "
    then one "Value '...' at 'member' failed to satisfy constraint: ..." per violation, joined by "; "."""

    def __init__(self, violations: list[str]) -> None:
        count = len(violations)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{count} validation {noun} detected: " + "; ".join(violations))
        self.violations = violations


class PayloadTooLargeError(ValidationError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Request payload exceeds the maximum size of {limit} bytes.")


class UnknownVariantError(ValidationError):
    def __init__(self, variant: str, endpoint_name: str) -> None:
        super().__init__(f"The variant(s) [{variant}] is/are invalid for endpoint {endpoint_name}.")


class ModelError(EndpointError):
    """The model container answered with a client error; SageMaker wraps it as 424.

    ``original_status`` is what the container itself returned; the container face (/invocations) answers
    with that status directly, the runtime face wraps it, as real SageMaker does.
    """

    code = "ModelError"
    status = 424
    original_status: ClassVar[int] = 400

    def wrapped(self, *, endpoint_name: str, region: str, account_id: str) -> dict[str, object]:
        """The runtime-API body for this error, with SageMaker's real message wording."""
        group = f"/aws/sagemaker/Endpoints/{endpoint_name}"
        message = (
            f'Received client error ({self.original_status}) from primary with message "{self.message}". '
            f"See https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logEventViewer:group={group} in account {account_id} for more information."
        )
        return {
            "ErrorCode": "CLIENT_ERROR_FROM_MODEL",
            "LogStreamArn": f"arn:aws:logs:{region}:{account_id}:log-group:{group}",
            "message": message,
            "Message": message,
            "OriginalMessage": self.message,
            "OriginalStatusCode": self.original_status,
        }


class UndecodableImageError(ModelError):
    original_status = 400


class ImageTooLargeError(ModelError):
    original_status = 400


class UnsupportedContentTypeError(ModelError):
    original_status = 415


class UnsupportedAcceptError(ModelError):
    original_status = 406


class ModelNotReadyError(EndpointError):
    code = "ModelNotReadyException"
    status = 429


class RequestTimeoutError(EndpointError):
    """The request body did not arrive within the body timeout (a slow or lying client).

    AWS's common error for this (every service's "Common Errors" page, e.g.
    https://docs.aws.amazon.com/mgn/latest/APIReference/CommonErrors.html): RequestTimeoutException,
    HTTP 408, "Problems with the request at the HTTP level. Reading the Request timed out."
    """

    code = "RequestTimeoutException"
    status = 408

    def __init__(self) -> None:
        super().__init__("Problems with the request at the HTTP level. Reading the Request timed out.")


class InternalFailureError(EndpointError):
    code = "InternalFailure"
    status = 500


class ArtifactError(Exception):
    """The model artifact is missing, malformed, or does not follow docs/contracts.md §1."""
