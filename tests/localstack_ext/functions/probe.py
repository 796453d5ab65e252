"""A Lambda handler that does what its event asks, so one function covers many executor behaviours.

Zipped as ``lambda_function.py`` by the tests; runs in the function runtime (boto3 only).
"""

from __future__ import annotations

import collections
import decimal
import os
import sys
import time
import uuid

INVOCATIONS = {"count": 0}  # module state: survives warm invokes, reset by a re-init
Point = collections.namedtuple("Point", "x y")
INSTANCE = uuid.uuid4().hex  # one per environment: pids repeat across sandboxes (each is pid 1 of its own)
print("probe init")


def handler(event, context):
    INVOCATIONS["count"] += 1
    action = event.get("action", "echo")
    if action == "echo":
        print("echo", event.get("value"))
        return {
            "value": event.get("value"),
            "count": INVOCATIONS["count"],
            "pid": os.getpid(),
            "instance": INSTANCE,
            "request_id": context.aws_request_id,
        }
    if action == "sleep":
        time.sleep(event["seconds"])
        return {"pid": os.getpid(), "instance": INSTANCE, "count": INVOCATIONS["count"]}
    if action == "raise":
        raise ValueError(event.get("message", "boom"))
    if action == "exit":
        print("exiting with", event["code"])
        sys.exit(event["code"])
    if action == "env":
        return {"env": dict(os.environ), "path": sys.path[:4]}
    if action == "marshal":
        return {
            "decimal": decimal.Decimal("1.10"),
            "exponent": decimal.Decimal("1E+2"),
            "bytes": b"xy",
            "text": "£é😀",
            "point": Point(1, 2),
            "tuple": (1, 2),
            "nan": float("nan"),
        }
    if action == "raw_bytes":
        return b"\xff\x00raw"
    if action == "set":
        return {"s": {1}}
    if action == "s3":
        import boto3

        s3 = boto3.client("s3")
        s3.put_object(Bucket=event["bucket"], Key=event["key"], Body=event["body"].encode())
        body = s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read().decode()
        return {"read_back": body, "endpoint": os.environ.get("AWS_ENDPOINT_URL")}
    if action == "layer":
        import layer_pkg
        import layer_top

        return {"site_packages": layer_pkg.WHERE, "top": layer_top.WHERE}
    raise NotImplementedError(action)
