"""LocalStack's request parsers and response serializers are cached per service, not per client.

Why: with in-memory internal calls the request carries the calling botocore client's own
``ServiceModel``, and LocalStack's ``functools.cache`` on ``create_parser``/``create_serializer`` is keyed
by that object: every new client (Step Functions renews its task clients, see role_clients) added about
1 MB (parser, serializer, routing maps) for good. Found with a tracemalloc diff of a soak
(benchmarks/bench_soak.py). Not an AWS behaviour: memory of the emulator only.
"""

from __future__ import annotations

import os

import pytest

from tests.helpers.localstack_venv import run_probe

PROBE = r"""
import json, sys
if sys.argv[1] == "patched":
    from scones_localstack import hooks
    hooks.one_parser_per_service()
from localstack.aws.connect import connect_to
from localstack.aws.handlers import service as service_handlers
from localstack.aws.protocol import parser, serializer
clients = [
    connect_to(aws_access_key_id=f"AKIA{i}", aws_secret_access_key="x", region_name="us-east-1").lambda_
    for i in range(3)
]
models = [c.meta.service_model for c in clients]
parsers = {id(parser.create_parser(m)) for m in models}
serializers = {id(service_handlers.create_serializer(m)) for m in models}
op = models[0].operation_model("ListFunctions")
third = parser.create_parser(models[2]).service.operation_model("ListFunctions")
print(json.dumps({
    "distinct models": len({id(m) for m in models}),
    "parsers": len(parsers),
    "serializers": len(serializers),
    "same operation": third.name == op.name,
}))
"""


@pytest.mark.parametrize(("mode", "expected"), [("patched", 1), ("unpatched", 3)])
def test_three_clients_of_one_service_share_one_parser_and_serializer(mode: str, expected: int) -> None:
    """Unpatched (LocalStack as shipped) three clients build three of each; patched, one."""
    out = run_probe(PROBE, mode, env={**os.environ, "AWS_EC2_METADATA_DISABLED": "true"})
    assert out["distinct models"] == 3
    assert (out["parsers"], out["serializers"]) == (expected, expected)
    assert out["same operation"] is True


SPEC_PROBE = r"""
import json
from scones_localstack import hooks
hooks.one_parser_per_service()
from localstack.aws.connect import connect_to
from localstack.aws.protocol import parser
from localstack.aws.handlers import service as service_handlers
from localstack.aws.spec import load_service
from localstack.http import Request
from localstack.services.s3.utils import get_bucket_location_xml
internal = connect_to(aws_access_key_id="AKIA0", aws_secret_access_key="x", region_name="us-east-1").s3
parser.create_parser(internal.meta.service_model)  # an internal S3 request came first
service_handlers.create_serializer(internal.meta.service_model)  # and was answered
gateway = load_service("s3")  # what the gateway parses external requests with
request = Request("GET", "/regions-1", query_string="location", headers={"Host": "localhost:4566"})
operation, _ = parser.create_parser(gateway).parse(request)
answer = service_handlers.create_serializer(gateway).serialize_to_response(
    {"LocationConstraint": get_bucket_location_xml("eu-west-1")}, operation, {}, "rid"
)
print(json.dumps({"operation": operation.name, "body": answer.data.decode()}))
"""


def test_an_internal_client_first_does_not_change_what_external_callers_get() -> None:
    """LocalStack's own S3 spec (spec-patches.json: GetBucketLocation's payload is LocationConstraint)
    and botocore's, which internal clients carry, get a parser and a serializer each. Shared, the first
    one seen served both: when a stack's first S3 request was internal, an external GetBucketLocation
    was parsed to botocore's operation and answered with a ``GetBucketLocationOutput`` root, which boto3
    reads as ``LocationConstraint: None`` (test_first_requests failed so in a full suite run). AWS's
    answer has ``LocationConstraint`` as the root element (S3 API Reference, GetBucketLocation, Response
    Syntax)."""
    out = run_probe(SPEC_PROBE, env={**os.environ, "AWS_EC2_METADATA_DISABLED": "true"})
    assert out["operation"] == "GetBucketLocation"
    assert out["body"].endswith(
        '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>'
    ), out["body"]
