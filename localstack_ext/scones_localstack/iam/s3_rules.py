"""Amazon S3's answer for a key that does not exist depends on the caller's ``s3:ListBucket``.

AWS, GetObject and HeadObject API references ("Permissions"): "If the object you request doesn't exist,
the error that Amazon S3 returns depends on whether you also have the s3:ListBucket permission. If you
have the s3:ListBucket permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found
error. If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Forbidden
error." The 403 names the missing permission: callers report ``User: ... is not authorized to perform:
s3:ListBucket on resource: "arn:aws:s3:::<bucket>" because no identity-based policy allows the
s3:ListBucket action``.

So the gateway, when S3 is about to answer ``NoSuchKey`` (or HeadObject's 404) to a caller that enforcement
applies to, asks ``missing_object_denial``: None means answer the 404 as usual; a decision means answer 403
AccessDenied for ``s3:ListBucket`` on the bucket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from .evaluation import Decision, RequestContext, evaluate
from .policy import Policy


def bucket_arn(object_arn: str) -> str:
    """``arn:aws:s3:::bucket/key`` -> ``arn:aws:s3:::bucket``."""
    return object_arn.split("/", 1)[0]


def list_bucket_request(object_request: RequestContext) -> RequestContext:
    """The ``s3:ListBucket`` request on the bucket of an object request (same caller and keys)."""
    return replace(object_request, action="s3:ListBucket", resource=bucket_arn(object_request.resource))


def missing_object_denial(
    object_request: RequestContext,
    identity_policies: Iterable[Policy | str | Mapping[str, Any]],
    bucket_policy: Policy | str | Mapping[str, Any] | None = None,
) -> tuple[RequestContext, Decision] | None:
    """None when the caller may list the bucket (S3 answers 404); else the ListBucket request and the
    decision that denies it (S3 answers 403 AccessDenied naming ``s3:ListBucket``)."""
    listing = list_bucket_request(object_request)
    decision = evaluate(listing, identity_policies, bucket_policy)
    return None if decision.allowed else (listing, decision)
