"""boto3 clients per target. Local: dummy credentials, LocalStack URL, no host prefix; AWS: boto3's chain.

``inject_host_prefix=False``: botocore prefixes some operations' host (Step Functions ``StartSyncExecution`` →
``sync-<host>``), which cannot resolve for a loopback endpoint offline. Users' own local clients need it too.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from scones.stack.clients import LOCAL_CREDENTIALS
from scones.workflow.errors import MissingCredentialsError, TargetUnreachableError
from scones.workflow.settings import WorkflowSettings

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_sts import STSClient


class Clients:
    """One session per target; each client is built on first use and kept."""

    def __init__(self, settings: WorkflowSettings, session: boto3.Session | None = None) -> None:
        self.settings = settings
        if session is None:
            if settings.is_local:
                session = boto3.Session(
                    aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
                    aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
                    region_name=settings.region,
                )
            else:
                session = boto3.Session(region_name=settings.region)
        self.session = session
        self._config = Config(
            inject_host_prefix=not settings.is_local,
            retries={"max_attempts": 3 if settings.is_local else 8, "mode": "standard"},
        )

    def check_credentials(self) -> None:
        """Fail before any call when the aws target has nothing to sign with: a message, not a trace."""
        if self.session.get_credentials() is None:
            raise MissingCredentialsError(
                "target aws needs AWS credentials, and none were found (environment, ~/.aws, SSO or instance "
                "profile). Configure them (e.g. `aws configure` or AWS_PROFILE), or use --target local."
            )

    def account(self) -> tuple[str, str]:
        """(account id, partition) of the caller; the first call, so an unreachable target is named here."""
        try:
            arn = self.sts.get_caller_identity()["Arn"]
        except EndpointConnectionError as exc:
            where = self.settings.endpoint_url if self.settings.is_local else "AWS"
            hint = " Is the local stack up (`scones up`)?" if self.settings.is_local else ""
            raise TargetUnreachableError(f"cannot reach {where}: {exc}.{hint}") from exc
        return arn.split(":")[4], arn.split(":")[1]

    def client(self, service: str) -> Any:
        return self.session.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.settings.endpoint_url if self.settings.is_local else None,
            config=self._config,
        )

    @cached_property
    def s3(self) -> S3Client:
        return self.client("s3")  # type: ignore[no-any-return]

    @cached_property
    def iam(self) -> IAMClient:
        return self.client("iam")  # type: ignore[no-any-return]

    @cached_property
    def sts(self) -> STSClient:
        return self.client("sts")  # type: ignore[no-any-return]

    @cached_property
    def lambda_(self) -> LambdaClient:
        return self.client("lambda")  # type: ignore[no-any-return]

    @cached_property
    def sfn(self) -> SFNClient:
        return self.client("stepfunctions")  # type: ignore[no-any-return]

    @cached_property
    def sagemaker(self) -> SageMakerClient:
        return self.client("sagemaker")  # type: ignore[no-any-return]
