"""The stand-in acts as the model's execution role: credentials from LocalStack's STS, and the model read
checked as that role before the process starts.

Why: on AWS the inference container reads its model and writes capture with the credentials of the role
passed to CreateModel ("SageMaker AI execution roles": SageMaker assumes the role to download model
artifacts), so a role without ``s3:GetObject`` on the model fails the endpoint. Until issue #16 every
stand-in used the account id as its access key, which LocalStack treats as the all-powerful account root.

Only while IAM is enforced (``iam_enforced()``); otherwise the stand-in keeps the account-root key.

Credentials: ``AssumeRole`` through LocalStack's own STS (as the ``sagemaker`` service principal, session
name ``SageMaker``), requesting 12 hours, LocalStack's maximum. LocalStack records an expiry but checks it
only when a caller asks GetCallerIdentity; a stand-in is given fresh credentials at every (re)start. AWS
refreshes a container's credentials itself; a stand-in serving longer than 12 hours under a gateway that
refuses expired keys would see its capture writes dropped (logged), until it restarts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

LOG = logging.getLogger(__name__)

SESSION_NAME = "SageMaker"
DURATION_SECONDS = (
    43_200  # LocalStack's MAX_SESSION_DURATION (12 h); AWS caps it by the role's MaxSessionDuration
)

# The endpoint's FailureReason when the role may not read the model (as AWS reports it for an endpoint
# whose model data the role cannot download: aws-samples/cvat-on-aws-china#3, via CloudFormation).
MODEL_DOWNLOAD_FAILED = (
    'Failed to download model data for container "container_1" from URL: "{url}". Please ensure that there '
    "is an object located at the URL and that the role passed to CreateModel has permissions to download the "
    "object."
)


class ModelRoleFailure(Exception):
    """The model's role cannot be assumed or cannot read the model; the message is the FailureReason."""


@dataclass(frozen=True)
class RoleCredentials:
    """One AssumeRole answer, as the stand-in's AWS_* variables carry it."""

    access_key_id: str
    secret_access_key: str
    session_token: str

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


def assume(role_arn: str, region: str, model_data_url: str) -> RoleCredentials:
    """The role's session for one stand-in; ModelRoleFailure when SageMaker may not assume the role (it was
    deleted, or its trust policy changed, after CreateModel)."""
    from localstack.aws.connect import connect_to

    from scones_localstack.role_checks import SAGEMAKER_PRINCIPAL, service_can_assume

    if not service_can_assume(role_arn, SAGEMAKER_PRINCIPAL):
        raise ModelRoleFailure(MODEL_DOWNLOAD_FAILED.format(url=model_data_url))
    sts = connect_to(region_name=region).sts.request_metadata(service_principal="sagemaker")
    answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME, DurationSeconds=DURATION_SECONDS)
    creds = answer["Credentials"]
    return RoleCredentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def may_read(role_arn: str, region: str, model_data_url: str) -> bool:
    """False when the role's HeadObject of the model is refused (403): CreateModel's own check on AWS
    (callers report "Could not access model data at ..." from CreateModel for a role scoped to another
    bucket). A missing object with s3:ListBucket (404) passes here and fails the endpoint later, where the
    stand-in reports it; AWS refuses that at CreateModel too."""
    try:
        check_model_read(assume(role_arn, region, model_data_url), region, model_data_url)
    except ModelRoleFailure:
        return False
    return True


def check_model_read(credentials: RoleCredentials, region: str, model_data_url: str) -> None:
    """HeadObject on the model as the role (S3 authorizes it as s3:GetObject): a 403 is the endpoint's
    failure in AWS's words. Other answers (a missing object with s3:ListBucket: 404) are left to the
    stand-in, which reports its own download error as before."""
    from botocore.exceptions import ClientError
    from localstack.aws.connect import connect_to

    parsed = urlparse(model_data_url)
    if parsed.scheme != "s3" or not parsed.netloc:
        return
    s3: Any = connect_to(
        region_name=region,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
    ).s3
    try:
        s3.head_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 403 or exc.response.get("Error", {}).get("Code") in ("403", "AccessDenied"):
            raise ModelRoleFailure(MODEL_DOWNLOAD_FAILED.format(url=model_data_url)) from exc
        LOG.debug("model read check of %s answered %s; the stand-in reports it", model_data_url, status)
