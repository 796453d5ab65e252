"""IAM enforcement at LocalStack's gateway: the glue between LocalStack's request handling and the
standard-library engine in ``scones_localstack.iam`` (issue #16, docs/iam.md).

- who is asking (identities.py): the access key id of a request, the STS session it belongs to, the
  role's inline and attached policies, parsed once and cached until an IAM write;
- resource policies (resource_policies.py): S3 bucket policies and Lambda function policies;
- the handlers (handler.py): evaluate each role session's request to S3, Lambda, SageMaker Runtime,
  CloudWatch Logs and Step Functions, answer a denial in the service's own shape, S3's 403 for a missing
  key without ``s3:ListBucket``, and clear the policy cache after IAM writes;
- what Step Functions reports when a Task's role is denied (task_errors.py);
- the deny log (deny_log.py).

Installed by one hook (``hooks.enforce_iam_policies``) when ``iam_enforced()``; nothing here runs otherwise.
"""

from __future__ import annotations


def install() -> None:
    """Append the handlers to LocalStack's chains and patch the Task error names (idempotent)."""
    from scones_localstack.iam_gateway.handler import install as install_handlers
    from scones_localstack.iam_gateway.task_errors import install as install_task_errors

    install_handlers()
    install_task_errors()
