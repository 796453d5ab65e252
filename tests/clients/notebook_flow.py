"""What the original notebook does, with the SageMaker Python SDK v2, against a local stack.

Run by tests/clients/test_sagemaker_sdk.py with `.venv-sdk`'s interpreter (the SDK's dependencies stay out of
the project's venv): ``python notebook_flow.py '{"endpoint_url": ..., "model_tar": ..., "png": ..., ...}'``.
Prints one JSON line last: what each step returned, how long it took, and every non-loopback host the
process tried to reach (the test requires none: the SDK's telemetry is opted out and nothing calls STS).

Why no `Session.account_id()` / SDK-chosen default bucket: both call STS at its *regional AWS endpoint*
(``sagemaker.utils.sts_regional_endpoint``), ignoring AWS_ENDPOINT_URL; passing ``default_bucket`` avoids
them.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from typing import Any

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FOREIGN: list[str] = []
_getaddrinfo = socket.getaddrinfo


def _loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    """Refuse (and record) any name that is not loopback, before a packet leaves: the test's proof."""
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name not in LOOPBACK:
        FOREIGN.append(name)
        raise socket.gaierror(socket.EAI_NONAME, f"blocked non-loopback host {name}")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _loopback_only  # type: ignore[assignment]


def main(args: dict[str, Any]) -> dict[str, Any]:
    import boto3
    import sagemaker
    from sagemaker.model_monitor import DataCaptureConfig
    from sagemaker.predictor import Predictor
    from sagemaker.s3 import S3Downloader, S3Uploader
    from sagemaker.serializers import IdentitySerializer

    timings: dict[str, float] = {}
    url, bucket, name = args["endpoint_url"], args["bucket"], args["name"]

    def timed(step: str, start: float) -> None:
        timings[step] = round(time.perf_counter() - start, 3)

    boto_session = boto3.Session(region_name="us-east-1")
    boto_session.client("s3", endpoint_url=url).create_bucket(Bucket=bucket)
    session = sagemaker.Session(
        boto_session=boto_session,
        sagemaker_client=boto_session.client("sagemaker", endpoint_url=url),
        sagemaker_runtime_client=boto_session.client("sagemaker-runtime", endpoint_url=url),
        default_bucket=bucket,  # else the SDK asks STS for the account id, at AWS (see the docstring)
    )

    start = time.perf_counter()
    model_data = S3Uploader.upload(args["model_tar"], f"s3://{bucket}/model", sagemaker_session=session)
    timed("upload", start)

    capture_uri = f"s3://{bucket}/datacapture"
    model = sagemaker.Model(
        image_uri=args["image_uri"],
        model_data=model_data,
        role=args["role"],
        name=name,
        sagemaker_session=session,
    )
    start = time.perf_counter()
    model.deploy(
        initial_instance_count=1,
        instance_type="ml.m5.large",
        endpoint_name=name,
        data_capture_config=DataCaptureConfig(
            enable_capture=True, sampling_percentage=100, destination_s3_uri=capture_uri
        ),
        wait=False,  # deploy(wait=True) polls every 30 s
    )
    timed("deploy_call", start)
    session.wait_for_endpoint(name, poll=1)
    timed("deploy", start)

    predictor = Predictor(name, sagemaker_session=session, serializer=IdentitySerializer("image/png"))
    with open(args["png"], "rb") as png:
        body = png.read()
    start = time.perf_counter()
    prediction = json.loads(predictor.predict(body))
    timed("predict", start)

    start = time.perf_counter()
    captures: list[str] = []
    for _ in range(100):  # capture files are written asynchronously, as on AWS
        captures = S3Downloader.list(capture_uri, sagemaker_session=session)
        if captures:
            break
        time.sleep(0.1)
    records = [json.loads(line) for line in S3Downloader.read_file(captures[0], session).splitlines()]
    timed("capture", start)

    start = time.perf_counter()
    predictor.delete_endpoint(delete_endpoint_config=True)
    timed("delete", start)
    return {
        "sdk_version": sagemaker.__version__,
        "model_data": model_data,
        "prediction": prediction,
        "capture_keys": captures,
        "capture_records": records,
        "timings": timings,
    }


def account_id_host() -> dict[str, Any]:
    """What `Session.account_id()` does with AWS_ENDPOINT_URL set: the host it asks for (the STS caveat)."""
    import boto3
    import sagemaker

    session = sagemaker.Session(boto3.Session(region_name="us-east-1"), default_bucket="unused")
    try:
        return {"account_id": session.account_id()}
    except Exception as exc:  # the refusal of a foreign host is the expected outcome
        return {"error": type(exc).__name__}


if __name__ == "__main__":
    if sys.argv[1] == "account-id":
        print(json.dumps({**account_id_host(), "foreign_hosts": FOREIGN}))
        sys.exit(0)
    result = main(json.loads(sys.argv[1]))
    print("\n" + json.dumps({**result, "foreign_hosts": FOREIGN}))  # wait_for_endpoint prints dashes
