"""The first-request savings (scones_localstack.first_requests) answer exactly as LocalStack did.

Why: they replace how two answers are computed (each service's region list, IAM's managed-policy index),
not what they are. The probe compares them with LocalStack's own code in its interpreter; the stack tests
send the requests that read them. AWS is the reference for the answers: S3 refuses a location constraint
that is not a region with ``InvalidLocationConstraint`` ("The specified location-constraint is not valid",
S3 API Reference, Error responses, list of error codes), and ``GetPolicy`` on an AWS managed policy ARN
(``arn:aws:iam::aws:policy/ReadOnlyAccess``, IAM User Guide, "AWS managed policies") returns it.
"""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from scones.testing.stack import LocalStackHandle
from tests.helpers.localstack_venv import run_probe

PROBE = """
import json, sys
from scones_localstack import hooks  # imports deferred_imports, whose install() installs first_requests
from localstack.services import stores
from localstack.utils.aws import aws_stack
from localstack.services.iam.provider import IamProvider

cached = stores.get_valid_regions_for_service
original = cached.__wrapped__
services = ["sts", "iam", "s3", "lambda", "sagemaker", "stepfunctions", "logs", "no-such-service"]
same = {s: cached(s) == original(s) for s in services}
first = cached("s3")
first.append("mutated")
provider = IamProvider()
provider.on_after_init()
index = provider._aws_managed_policy_cache
built_at_init = index.built
arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
import boto3
from moto.core.base_backend import AccountSpecificBackend
from scones_localstack import first_requests
fresh = boto3.Session()  # what moto built for itself before
moto_session = AccountSpecificBackend.get_session()
print(json.dumps({
    "moto shares": moto_session is first_requests.shared_session(),
    "moto same": all(
        moto_session.get_available_regions(s, partition_name=p)
        == fresh.get_available_regions(s, partition_name=p)
        for s in ("sagemaker", "iam", "logs")
        for p in fresh.get_available_partitions()
    ),
    "patched": [cached is aws_stack.get_valid_regions_for_service, getattr(cached, "_scones_cached", False)],
    "same": same,
    "own copy": "mutated" not in cached("s3"),
    "moto.batch loaded": "moto.batch.models" in sys.modules,
    "built at init": built_at_init,
    "found": arn in index and index.get(arn).policy["Arn"] == arn,
    "same index": sorted(index) == sorted(provider._build_aws_managed_policy_cache()),
    "built after read": index.built,
}))
"""


def test_region_lists_and_policy_index_match_localstacks_own() -> None:
    """Same lists for every service the stack serves (and an unknown one), moto's backends' too from the
    shared session; each caller gets its own list;
    patching looks through modules without running a deferred package (moto.batch stays unloaded); the IAM
    index is not built by the provider's start but on its first read, with the same policies."""
    out = run_probe(PROBE)
    assert out["patched"] == [True, True]
    assert out["moto shares"] is True and out["moto same"] is True
    assert out["same"] == dict.fromkeys(out["same"], True)
    assert out["own copy"] is True
    assert out["moto.batch loaded"] is False
    assert out["built at init"] is False
    assert out["found"] is True
    assert out["same index"] is True
    assert out["built after read"] is True


@pytest.mark.integration
def test_s3_still_refuses_a_location_that_is_not_a_region(localstack: LocalStackHandle) -> None:
    """A bucket in another region than the endpoint's is stored in that region's store, whose look-up
    checks the name against the region list (the cached one now: ``RegionBundle.__getitem__``, a
    ValueError for a name not in it), and GetBucketLocation names that region; a made-up constraint is
    refused with InvalidLocationConstraint as AWS does (LocalStack checks it against S3's modeled
    ``BucketLocationConstraint`` values before any store is read). Through the us-east-1 endpoint any
    region may be asked for (S3 API Reference, CreateBucket: requests to s3.amazonaws.com go to
    us-east-1 whatever the LocationConstraint). It failed once in the full suite with ``None``: not the
    lists, the parser cache (protocol_caches, test_protocol_caches) when the stack's first S3 request
    was an internal one."""
    s3 = localstack.client("s3", region_name="us-east-1")
    name = f"regions-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    with pytest.raises(ClientError) as refused:
        s3.create_bucket(Bucket=f"{name}-x", CreateBucketConfiguration={"LocationConstraint": "xx-nowhere-1"})
    assert refused.value.response["Error"]["Code"] == "InvalidLocationConstraint"


@pytest.mark.integration
def test_iam_answers_aws_managed_policies(localstack: LocalStackHandle) -> None:
    """The index built on first read serves GetPolicy and AttachRolePolicy of an AWS managed policy."""
    iam = localstack.client("iam")
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "ReadOnlyAccess"
    role = f"first-requests-{uuid.uuid4().hex[:8]}"
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    )
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [arn]


LOADER_PROBE = """
import json, os
from scones_localstack import hooks  # installs first_requests
import boto3, botocore.loaders, botocore.session
from localstack.aws.connect import InternalClientFactory

one, two = boto3.Session(), boto3.Session()
internal = InternalClientFactory()  # puts LocalStack's own data folder first in its session's loader
loader = one._session.get_component("data_loader")
boto3_data = os.path.join(os.path.dirname(boto3.__file__), "data")
own = botocore.loaders.create_loader()  # what a session would have had without the patch
s3 = one.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
unshared = botocore.session.Session()
unshared.register_component("data_loader", botocore.loaders.create_loader())  # the unpatched factory
print(json.dumps({
    "shared": loader is two._session.get_component("data_loader")
        is internal._session._session.get_component("data_loader"),
    "boto3 data once": loader.search_paths.count(boto3_data),
    "same model": loader.load_service_model("s3", "service-2") == own.load_service_model("s3", "service-2"),
    "same regions": one.get_available_regions("sagemaker")
        == boto3.Session(botocore_session=unshared).get_available_regions("sagemaker"),
    "client works": s3.meta.service_model.service_name,
    "other data path": botocore.session.create_loader("/tmp") is not loader,
}))
"""


def test_botocore_sessions_share_one_loader_with_the_same_answers() -> None:
    """Every botocore session LocalStack opens (its own, moto's, boto3's default) reads each model file once:
    one loader per AWS_DATA_PATH value. Same models and regions as a loader of its own; boto3's folder is on
    the search path once however many sessions append it; another AWS_DATA_PATH gets a loader of its own."""
    out = run_probe(LOADER_PROBE)
    assert out == {
        "shared": True,
        "boto3 data once": 1,
        "same model": True,
        "same regions": True,
        "client works": "s3",
        "other data path": True,
    }
