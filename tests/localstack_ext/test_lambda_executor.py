"""The process Lambda runtime executor, end to end: real LocalStack (the session `localstack`
fixture, LAMBDA_RUNTIME_EXECUTOR=process), real function processes on the python3.13 runtime venv,
boto3 over loopback. Nothing is mocked.

Handlers live in `functions/` and are zipped at test time as `lambda_function.py`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.lambda_functions import (
    NO_RETRIES,
    RUNTIME,
    create_function,
    function_factory,
    handler_zip,
    poll,
    unique_name,
    zip_files,
)
from tests.helpers.roles import invoke_functions, states_role

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def lambda_client(localstack: Any) -> Any:
    return localstack.client("lambda", retries=NO_RETRIES)


@pytest.fixture(scope="module")
def make_function(lambda_client: Any) -> Iterator[Callable[..., str]]:
    """Factory: a uniquely named function of `functions/<source>` (10 s timeout unless overridden)."""
    with function_factory(lambda_client, Timeout=10) as create_function:

        def create(source: str = "probe.py", wait: bool = True, **overrides: Any) -> str:
            prefix = f"exec-{source.split('.')[0].replace('_', '-')}"
            return create_function(prefix, handler_zip(source), wait=wait, **overrides)

        yield create


@pytest.fixture(scope="module")
def probe(make_function: Callable[..., str]) -> str:
    return make_function()


def invoke(client: Any, name: str, event: Any = None, **kwargs: Any) -> tuple[dict[str, Any], bytes]:
    response = client.invoke(
        FunctionName=name, Payload=json.dumps(event or {}).encode(), LogType="Tail", **kwargs
    )
    return response, response["Payload"].read()


def tail(response: dict[str, Any]) -> str:
    return base64.b64decode(response.get("LogResult", "")).decode()


def test_invoke__sync_result_and_logs_tail(lambda_client: Any, probe: str) -> None:
    response, body = invoke(lambda_client, probe, {"action": "echo", "value": "hello"})
    result = json.loads(body)
    assert "FunctionError" not in response
    assert result["value"] == "hello"
    assert result["request_id"] == response["ResponseMetadata"]["RequestId"]
    logs = tail(response)
    request_id = result["request_id"]
    assert f"START RequestId: {request_id} Version: $LATEST" in logs
    assert "echo hello" in logs
    assert f"END RequestId: {request_id}" in logs
    assert re.search(rf"REPORT RequestId: {request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms", logs)
    assert logs.index("START") < logs.index("echo hello") < logs.index("END") < logs.index("REPORT")


def test_invoke__warm_environment_keeps_module_state(lambda_client: Any, probe: str) -> None:
    first = json.loads(invoke(lambda_client, probe, {"action": "echo"})[1])
    second = json.loads(invoke(lambda_client, probe, {"action": "echo"})[1])
    assert second["instance"] == first["instance"]
    assert second["count"] == first["count"] + 1


def test_invoke__event_runs_asynchronously(localstack: Any, lambda_client: Any, probe: str) -> None:
    s3 = localstack.client("s3")
    bucket = unique_name("exec-async")
    s3.create_bucket(Bucket=bucket)
    event = {"action": "s3", "bucket": bucket, "key": "async.txt", "body": "from an Event invoke"}
    response = lambda_client.invoke(FunctionName=probe, InvocationType="Event", Payload=json.dumps(event))
    assert response["StatusCode"] == 202
    listed = poll(lambda: s3.list_objects_v2(Bucket=bucket).get("Contents"))
    assert [o["Key"] for o in listed] == ["async.txt"]


def test_handler__reaches_s3_through_injected_endpoint(
    localstack: Any, lambda_client: Any, probe: str
) -> None:
    s3 = localstack.client("s3")
    bucket = unique_name("exec-s3")
    s3.create_bucket(Bucket=bucket)
    event = {"action": "s3", "bucket": bucket, "key": "k.txt", "body": "written by the handler"}
    response, body = invoke(lambda_client, probe, event)
    assert "FunctionError" not in response, body
    result = json.loads(body)
    assert result["read_back"] == "written by the handler"
    assert result["endpoint"] == f"http://127.0.0.1:{localstack.port}"
    assert s3.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"written by the handler"


def test_handler_error__unhandled_with_aws_error_payload(lambda_client: Any, probe: str) -> None:
    response, body = invoke(lambda_client, probe, {"action": "raise", "message": "bad input"})
    error = json.loads(body)
    assert response["FunctionError"] == "Unhandled"
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert error["errorMessage"] == "bad input"
    assert error["errorType"] == "ValueError"
    assert error["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert len(error["stackTrace"]) == 1  # the handler's frame only: no runtime frames
    assert 'lambda_function.py", line' in error["stackTrace"][0]
    assert "raise ValueError" in error["stackTrace"][0]
    assert "[ERROR] ValueError: bad input\rTraceback (most recent call last):\r" in tail(response)


def test_marshal__decimal_bytes_non_ascii_as_awslambdaric(lambda_client: Any, probe: str) -> None:
    """Expected bytes are what awslambdaric (simplejson 3.17.2, python3.13) produces for this value."""
    response, body = invoke(lambda_client, probe, {"action": "marshal"})
    assert "FunctionError" not in response, body
    assert body.decode("utf-8") == (
        '{"decimal": 1.10, "exponent": 1E+2, "bytes": "xy", "text": "£é😀", '
        '"point": {"x": 1, "y": 2}, "tuple": [1, 2], "nan": NaN}'
    )


def test_marshal__top_level_bytes_pass_through(lambda_client: Any, probe: str) -> None:
    response, body = invoke(lambda_client, probe, {"action": "raw_bytes"})
    assert "FunctionError" not in response
    assert body == b"\xff\x00raw"


def test_marshal__set_is_runtime_marshal_error(lambda_client: Any, probe: str) -> None:
    response, body = invoke(lambda_client, probe, {"action": "set"})
    error = json.loads(body)
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.MarshalError"
    assert error["errorMessage"] == "Unable to marshal response: Object of type set is not JSON serializable"
    assert error["stackTrace"] == []


def test_environment__nothing_of_the_host_leaks(localstack: Any, lambda_client: Any, probe: str) -> None:
    """LocalStack's own process runs with GATEWAY_LISTEN, SERVICES, SCONES_* and the host's HOME:
    none of it may reach the function. In the namespace sandbox there is no HOME or TMPDIR (AWS sets
    neither, https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html; /tmp is the
    environment's own); the fallback keeps a per-environment HOME and TMPDIR (docs/sandbox.md)."""
    env = json.loads(invoke(lambda_client, probe, {"action": "env"})[1])["env"]
    leaked = {"GATEWAY_LISTEN", "SERVICES", "SCONES_PROJECT_ROOT", "SCONES_ENDPOINT_CMD", "FILESYSTEM_ROOT"}
    assert not leaked & set(env)
    internal = [k for k in env if k.startswith("LOCALSTACK_") and k != "LOCALSTACK_HOSTNAME"]
    assert not internal  # the executor wiring (runtime endpoint, parent pid, ...) is popped by the shim
    assert env.get("HOME") != os.environ.get("HOME")
    if env["LAMBDA_TASK_ROOT"] == "/var/task":
        assert "HOME" not in env and "TMPDIR" not in env
    else:
        assert env["HOME"].endswith("/home") and env["TMPDIR"].endswith("/tmp")
        assert Path(env["HOME"]).parent == Path(env["TMPDIR"]).parent
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == probe
    assert env["LANG"] == "en_US.UTF-8"  # AWS's value (configuration-envvars.html)
    assert env["PATH"].split(":")[1:] == ["/usr/local/bin", "/usr/bin", "/bin"]
    allowed_extra = {"PATH", "LANG", "HOME", "TMPDIR", "EDGE_PORT", "LOCALSTACK_HOSTNAME", "_X_AMZN_TRACE_ID"}
    allowed_extra.add("LC_CTYPE")  # CPython's PEP 538 coercion, on hosts without the en_US.UTF-8 locale
    unexpected = {k for k in env if not k.startswith(("AWS_", "_AWS_", "LAMBDA_", "_HANDLER", "TZ"))}
    assert unexpected <= allowed_extra


def test_timeout__task_timed_out_then_reinit(make_function: Callable[..., str], lambda_client: Any) -> None:
    name = make_function(Timeout=1)
    started = time.monotonic()
    response, body = invoke(lambda_client, name, {"action": "sleep", "seconds": 5})
    elapsed = time.monotonic() - started
    error = json.loads(body)
    request_id = response["ResponseMetadata"]["RequestId"]
    assert response["FunctionError"] == "Unhandled"
    assert error == {  # AWS's shape: see test_lambda_limits.py
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
        "errorType": "Sandbox.Timedout",
    }
    assert 1.0 <= elapsed < 4.5
    assert f"END RequestId: {request_id}" in tail(response)
    again = json.loads(invoke(lambda_client, name, {"action": "echo"})[1])
    assert again["count"] == 1  # the killed environment was re-initialised


def test_sys_exit__runtime_exit_error_then_restart(
    lambda_client: Any, make_function: Callable[..., str]
) -> None:
    name = make_function()
    before = json.loads(invoke(lambda_client, name, {"action": "echo"})[1])
    response, body = invoke(lambda_client, name, {"action": "exit", "code": 3})
    request_id = response["ResponseMetadata"]["RequestId"]
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(body) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 3",
    }
    assert "exiting with 3" in tail(response)
    after = json.loads(invoke(lambda_client, name, {"action": "echo"})[1])
    assert after["instance"] != before["instance"]
    assert after["count"] == 1


def test_init__import_error(make_function: Callable[..., str], lambda_client: Any) -> None:
    name = make_function("import_error.py")
    response, body = invoke(lambda_client, name)
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(body) == {
        "errorMessage": "Unable to import module 'lambda_function': No module named 'not_a_module'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }


def test_init__exception_at_import_keeps_its_class_name(
    make_function: Callable[..., str], lambda_client: Any
) -> None:
    name = make_function("raise_at_import.py")
    response, body = invoke(lambda_client, name)
    error = json.loads(body)
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ConfigMissingError"
    assert error["errorMessage"] == "THRESHOLD is not set"
    assert any("raise ConfigMissingError" in frame for frame in error["stackTrace"])


def test_handler_not_found(make_function: Callable[..., str], lambda_client: Any) -> None:
    name = make_function(Handler="lambda_function.missing")
    response, body = invoke(lambda_client, name)
    error = json.loads(body)
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.HandlerNotFound"
    assert error["errorMessage"] == "Handler 'missing' missing on module 'lambda_function'"


def test_concurrency__eight_invokes_run_in_parallel(
    lambda_client: Any, make_function: Callable[..., str]
) -> None:
    """8 x 1 s sleeps finishing in well under 8 s proves 8 environments ran at once (a behaviour check)."""
    name = make_function()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        sleep = {"action": "sleep", "seconds": 1}
        results = list(pool.map(lambda _: invoke(lambda_client, name, sleep), range(8)))
    elapsed = time.monotonic() - started
    assert all("FunctionError" not in response for response, _ in results)
    assert len({json.loads(body)["instance"] for _, body in results}) == 8
    assert elapsed < 4.0


def test_layers__python_and_site_packages_importable(
    lambda_client: Any, make_function: Callable[..., str]
) -> None:
    layer = lambda_client.publish_layer_version(
        LayerName=f"exec-layer-{uuid.uuid4().hex[:8]}",
        Content={
            "ZipFile": zip_files(
                {
                    "python/layer_top.py": "WHERE = 'python/'\n",
                    "python/lib/python3.13/site-packages/layer_pkg.py": "WHERE = 'site-packages'\n",
                }
            )
        },
        CompatibleRuntimes=[RUNTIME],
    )
    name = make_function(Layers=[layer["LayerVersionArn"]])
    response, body = invoke(lambda_client, name, {"action": "layer"})
    assert "FunctionError" not in response, body
    assert json.loads(body) == {"site_packages": "site-packages", "top": "python/"}


def test_logs__in_cloudwatch_log_group(localstack: Any, lambda_client: Any, probe: str) -> None:
    marker = f"cw-{uuid.uuid4().hex}"
    invoke(lambda_client, probe, {"action": "echo", "value": marker})
    logs = localstack.client("logs")

    def find() -> list[str]:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{probe}").get("events", [])
        except logs.exceptions.ResourceNotFoundException:  # the group appears with the first events
            return []
        return [e["message"] for e in events]

    messages = poll(lambda: (m := find()) and any(marker in x for x in m) and m)
    assert any(m.startswith("START RequestId:") for m in messages)
    assert any(m.startswith("REPORT RequestId:") for m in messages)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"Runtime": "nodejs20.x", "Handler": "index.handler"}, "does not support runtime nodejs20.x"),
        (
            {
                "PackageType": "Image",
                "Code": {"ImageUri": "000000000000.dkr.ecr.us-east-1.amazonaws.com/fn:latest"},
                "Runtime": None,
                "Handler": None,
            },
            "does not support PackageType Image",
        ),
    ],
    ids=["nodejs20.x", "image"],
)
def test_unsupported_runtime__function_failed_with_reason(
    lambda_client: Any, make_function: Callable[..., str], overrides: dict[str, Any], reason: str
) -> None:
    name = make_function(wait=False, **overrides)
    config = poll(
        lambda: (c := lambda_client.get_function_configuration(FunctionName=name))["State"] != "Pending" and c
    )
    assert config["State"] == "Failed"
    assert reason in config["StateReason"]


def test_stepfunctions__lambda_invoke_task_success_and_failure(
    localstack: Any, probe: str, lambda_client: Any
) -> None:
    sfn = localstack.client("stepfunctions")
    arn = lambda_client.get_function(FunctionName=probe)["Configuration"]["FunctionArn"]
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": arn, "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(
        name=f"exec-sm-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=states_role(localstack.client("iam"), "sfn-executor", [invoke_functions(probe)]),
    )["stateMachineArn"]

    def run(event: dict[str, Any]) -> dict[str, Any]:
        execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(event))["executionArn"]
        return poll(
            lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d
        )

    ok = run({"action": "echo", "value": 42})
    assert ok["status"] == "SUCCEEDED"
    assert json.loads(ok["output"])["value"] == 42
    failed = run({"action": "raise", "message": "no"})
    assert failed["status"] == "FAILED"
    assert failed["error"] == "ValueError"
    assert json.loads(failed["cause"])["errorMessage"] == "no"
    sfn.delete_state_machine(stateMachineArn=machine)


def _function_pids(localstack_pid: int) -> set[int]:
    """Host pids of the stack's function environments: LocalStack's descendants running the shim
    (directly, or forked by a zygote), not the zygotes themselves. A sandboxed function sees only its
    own pid namespace, so it cannot report its host pid."""
    import psutil

    found = set()
    with contextlib.suppress(psutil.Error):
        for proc in psutil.Process(localstack_pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                cmdline = " ".join(proc.cmdline())
                zygote = proc.ppid() == localstack_pid and "shim_zygote" in cmdline
                if "shim" in cmdline and not zygote and not _gone(proc.pid):
                    found.add(proc.pid)
    return found


def _gone(pid: int) -> bool:
    """True once the process exited (a zombie waiting for init to reap it counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in {"Z", "X"}


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc (Linux)")
def test_keepalive_then_sigkilled_localstack_leaves_no_function_process(tmp_path: Path) -> None:
    """A stack of its own: a 1 s keepalive, and a LocalStack that is SIGKILLed at the end."""
    from tests.helpers.localstack import start_stack

    handle = start_stack(tmp_path, lambda_keepalive_ms=1000)
    try:
        client = handle.client("lambda", retries=NO_RETRIES)
        name = create_function(client, unique_name("exec-keepalive"), handler_zip("probe.py"))
        first = json.loads(invoke(client, name, {"action": "echo"})[1])
        first_pids = _function_pids(handle.state.pid)
        assert first_pids
        poll(lambda: all(_gone(pid) for pid in first_pids), timeout=10)  # idle past the keepalive
        second = json.loads(invoke(client, name, {"action": "echo"})[1])
        assert second["instance"] != first["instance"]
        assert second["count"] == 1  # a cold start, not the old environment
        second_pids = _function_pids(handle.state.pid)
        assert second_pids
        os.kill(handle.state.pid, signal.SIGKILL)
        # the parent watchdogs: shim, or zygote then each environment's supervisor
        poll(lambda: all(_gone(pid) for pid in second_pids), timeout=5)
    finally:
        handle.stop()
