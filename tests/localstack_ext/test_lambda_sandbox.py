"""The function sandbox (docs/sandbox.md), end to end: a real LocalStack with the process executor,
real function processes, boto3 over loopback.

AWS is the reference: each execution environment is its own Firecracker microVM, the only writable
place is its own ``/tmp`` (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html,
"ephemeral storage ... /tmp"), code is at ``LAMBDA_TASK_ROOT=/var/task`` (read-only), and the task
root comes first on ``sys.path``, so a bundled boto3 shadows the runtime's
(https://docs.aws.amazon.com/lambda/latest/dg/python-package.html, "Runtime dependencies in Python";
https://docs.aws.amazon.com/lambda/latest/dg/python-image.html, search path).

The stack of this module runs with a fake HOME (holding ``.aws`` and ``.ssh``) so that hiding the
user's home is proven without touching the real one.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from scones.config import PROJECT_ROOT
from scones.stack.process import lambda_sandbox
from tests.helpers.lambda_functions import (
    FUNCTIONS,
    NO_RETRIES,
    create_function,
    handler_zip,
    unique_name,
    zip_files,
)
from tests.helpers.localstack import LocalStackHandle, start_stack

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/proc/self/ns/user").exists(), reason="Linux namespaces only"),
]


@pytest.fixture(scope="module")
def fake_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text("[default]\naws_secret_access_key = not-a-real-secret\n")
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_ed25519").write_text("not a real key\n")
    return home


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_home: Path) -> Iterator[LocalStackHandle]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(fake_home))
        handle = start_stack(tmp_path_factory.mktemp("sandbox-stack"))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def lambda_client(stack: LocalStackHandle) -> Any:
    return stack.client("lambda", retries=NO_RETRIES)


def create(client: Any, files: dict[str, str] | None = None) -> str:
    """A function of `files` (default: the sandbox probe); the module's stacks are thrown away whole."""
    code = zip_files(files) if files else handler_zip("sandbox_probe.py")
    return create_function(client, unique_name("sandbox"), code, Timeout=20)


@pytest.fixture(scope="module")
def function(lambda_client: Any) -> str:
    return create(lambda_client)


def call(client: Any, name: str, event: dict[str, Any]) -> Any:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    body = response["Payload"].read()
    assert "FunctionError" not in response, body
    return json.loads(body)


def test_mode__namespaces_recorded_for_status(stack: LocalStackHandle, function: str) -> None:
    assert lambda_sandbox(stack.settings) == "namespaces"


def test_tmp__concurrent_environments_each_have_their_own(
    stack: LocalStackHandle, lambda_client: Any, function: str
) -> None:
    """The seed's pattern, 12 at once: each invocation must read back the image it downloaded."""
    s3 = stack.client("s3")
    bucket = unique_name("sandbox")
    s3.create_bucket(Bucket=bucket)
    for index in range(12):
        s3.put_object(Bucket=bucket, Key=f"image-{index}.png", Body=f"image {index}".encode())

    def one(index: int) -> str:
        event = {"action": "tmp_image", "bucket": bucket, "key": f"image-{index}.png", "pause": 0.5}
        return str(call(lambda_client, function, event)["read_back"])

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(one, range(12)))
    assert results == [f"image {index}" for index in range(12)]


def test_tmp__functions_do_not_see_each_others_files(lambda_client: Any, function: str) -> None:
    other = create(lambda_client)
    marker = f"/tmp/marker-{uuid.uuid4().hex}"
    assert call(lambda_client, function, {"action": "write", "paths": [marker]}) == {marker: "written"}
    assert call(lambda_client, function, {"action": "exists", "paths": [marker]}) == {marker: True}
    assert call(lambda_client, other, {"action": "exists", "paths": [marker]}) == {marker: False}


def test_host__checkout_home_and_task_root_cannot_be_written(
    lambda_client: Any, function: str, fake_home: Path
) -> None:
    checkout_file = PROJECT_ROOT / f".sandbox-probe-{uuid.uuid4().hex}"
    paths = [
        str(checkout_file),
        str(fake_home / ".aws" / "credentials"),
        str(fake_home / "planted"),
        "/var/task/lambda_function.py",
        "/var/task/new_file.py",
    ]
    try:
        written = call(lambda_client, function, {"action": "write", "paths": paths})
        reached_host = checkout_file.exists()
    finally:
        checkout_file.unlink(missing_ok=True)
    assert not reached_host
    # A checkout under /tmp (CI's fresh clones) is, inside the sandbox, a path in the function's own
    # private /tmp, writable as any /tmp path is on AWS; the host's checkout stays untouched (above).
    private = PROJECT_ROOT.is_relative_to("/tmp")
    refused = {path: result for path, result in written.items() if not (private and path == paths[0])}
    assert all(result != "written" for result in refused.values()), written
    assert (fake_home / ".aws" / "credentials").read_text().startswith("[default]")
    assert not (fake_home / "planted").exists()


def test_host__home_with_aws_and_ssh_is_not_visible(
    lambda_client: Any, function: str, fake_home: Path
) -> None:
    paths = [str(fake_home / ".aws" / "credentials"), str(fake_home / ".ssh" / "id_ed25519"), "/root/.ssh"]
    seen = call(lambda_client, function, {"action": "exists", "paths": paths})
    assert seen == dict.fromkeys(paths, False)


def test_environment__aws_paths_variables_and_sys_path(
    stack: LocalStackHandle, lambda_client: Any, function: str
) -> None:
    """AWS's defined variables: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html"""
    seen = call(lambda_client, function, {"action": "whoami"})
    env = seen["env"]
    assert env["LAMBDA_TASK_ROOT"] == "/var/task" and seen["cwd"] == "/var/task"
    assert env["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
    assert env["LANG"] == "en_US.UTF-8"
    assert env["AWS_LAMBDA_RUNTIME_API"] == f"127.0.0.1:{stack.port}"
    assert "HOME" not in env and "TMPDIR" not in env  # AWS sets neither
    assert seen["sys_path"][0] == "/var/task"
    assert seen["uid"] == 993  # sbx_user1051, as on AWS
    assert seen["fsize"] == 512 * 1024 * 1024  # EphemeralStorage default, per file (docs/sandbox.md)
    assert seen["pids"][0] == 1 and len(seen["pids"]) < 5  # its own pid namespace: no host processes


def test_sys_path__bundled_boto3_shadows_the_runtimes(lambda_client: Any) -> None:
    name = create(
        lambda_client,
        {
            "lambda_function.py": (FUNCTIONS / "sandbox_probe.py").read_text(),
            "boto3/__init__.py": "__version__ = 'bundled-by-the-function'\n",
        },
    )
    seen = call(lambda_client, name, {"action": "whoami"})
    assert seen["boto3"] == "bundled-by-the-function"
    assert seen["botocore_preloaded"] is False  # the exec path, not the zygote that preloads boto3


def test_zygote__cold_starts_fork_from_a_runtime_with_boto3_imported(
    lambda_client: Any, function: str
) -> None:
    """Module-level code still runs per environment (the Init phase): the handler module is new in
    each one; only the runtime and its boto3 come pre-imported (docs/sandbox.md)."""
    seen = call(lambda_client, function, {"action": "whoami"})
    assert seen["botocore_preloaded"] is True
    assert seen["boto3"] != "bundled-by-the-function"


@pytest.fixture(scope="module")
def fallback_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackHandle]:
    handle = start_stack(tmp_path_factory.mktemp("fallback-stack"), lambda_sandbox="off")
    try:
        yield handle
    finally:
        handle.stop()


def test_fallback__said_in_status_and_log_and_functions_still_run(fallback_stack: LocalStackHandle) -> None:
    client = fallback_stack.client("lambda", retries=NO_RETRIES)
    name = create(client)
    seen = call(client, name, {"action": "whoami"})
    assert seen["env"]["TMPDIR"].endswith("/tmp")  # today's per-environment TMPDIR
    assert seen["env"]["LAMBDA_TASK_ROOT"] != "/var/task"
    assert lambda_sandbox(fallback_stack.settings) == "fallback (LAMBDA_PROCESS_SANDBOX=off)"
    log = fallback_stack.log_file.read_text()
    assert log.count("Lambda function sandbox: fallback") == 1


SETTINGS_PROBE = """
import json, sys
from scones_localstack.lambda_executor.settings import ProcessExecutorConfigError, ProcessExecutorSettings
from scones_localstack.lambda_executor.sandbox import decide
out = {}
for value in sys.argv[1:]:
    try:
        settings = ProcessExecutorSettings.from_env({"LAMBDA_PROCESS_SANDBOX": value})
        out[value] = decide(settings).describe() if value == "off" else settings.sandbox
    except ProcessExecutorConfigError as exc:
        out[value] = f"error: {exc}"
print(json.dumps(out))
"""


def test_setting__sandbox_values() -> None:
    """A bad value is a named configuration error, not a silent default."""
    from tests.helpers.localstack_venv import run_probe

    seen = run_probe(SETTINGS_PROBE, "auto", "NAMESPACES", "off", "bogus")
    assert seen["auto"] == "auto" and seen["NAMESPACES"] == "namespaces"
    assert seen["off"] == "fallback (LAMBDA_PROCESS_SANDBOX=off)"
    assert seen["bogus"] == "error: LAMBDA_PROCESS_SANDBOX must be one of auto, namespaces, off, got 'bogus'"


EXTRA_ENV_PROBE = """
import json
from pathlib import Path
from scones_localstack.lambda_executor.environment import function_environment
from scones_localstack.lambda_executor.settings import ProcessExecutorConfigError, ProcessExecutorSettings
out = {}
try:
    ProcessExecutorSettings.from_env({"LAMBDA_PROCESS_EXTRA_ENV": '{"AWS_ACCESS_KEY_ID": "test", "X": "1"}'})
except ProcessExecutorConfigError as exc:
    out["refused"] = str(exc)
out["extra"] = dict(ProcessExecutorSettings.from_env({"LAMBDA_PROCESS_EXTRA_ENV": '{"X": "1"}'}).extra_env)
env = function_environment(
    localstack_env={"AWS_ACCESS_KEY_ID": "ASIAROLE", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"},
    function_env={"AWS_ACCESS_KEY_ID": "test"},
    extra_env={"AWS_SESSION_TOKEN": "", "X": "1"},
    runtime="python3.13", interpreter_bin="/bin", code_dir=Path("/c"), runtime_dir=Path("/r"),
    sandbox=Path("/s"), layer_dirs=[], parent_pid=1, runtime_api="127.0.0.1:1", isolated=True,
)
out["env"] = {k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "X")}
print(json.dumps(out))
"""


def test_setting__extra_env_cannot_replace_the_execution_roles_credentials() -> None:
    """AWS reserves AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN ("Defined runtime
    environment variables", Lambda developer guide): a function's credentials are its execution role's.
    LAMBDA_PROCESS_EXTRA_ENV naming them is a configuration error (with IAM enforced, an all-powerful key
    there would pass what AWS refuses), and whatever the variables say, the role's session wins."""
    from tests.helpers.localstack_venv import run_probe

    seen = run_probe(EXTRA_ENV_PROBE)
    assert seen["refused"] == (
        "LAMBDA_PROCESS_EXTRA_ENV must not set AWS_ACCESS_KEY_ID: a function runs with its execution role's"
        " credentials, as on AWS"
    )
    assert seen["extra"] == {"X": "1"}
    assert seen["env"] == {
        "AWS_ACCESS_KEY_ID": "ASIAROLE",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_SESSION_TOKEN": "t",
        "X": "1",
    }


def test_probe__an_interpreter_under_tmp_stays_visible_inside(tmp_path: Path) -> None:
    """The private /tmp must not hide the runtime's own files when its venv lives under /tmp (CI's fresh
    clones do): botocore reads its data files lazily, inside the sandbox, long after the imports. The
    launcher's probe (run once at Lambda's start) checks every interpreter directory is visible inside."""
    assert tmp_path.is_relative_to("/tmp"), tmp_path
    # the runtime venv's base interpreter, asked of the venv itself: pyvenv.cfg's keys differ between the
    # venv module ("executable") and uv, which builds the venvs now
    base = subprocess.run(
        [
            str(PROJECT_ROOT / ".venv-lambda" / "bin" / "python"),
            "-c",
            "import sys; print(sys._base_executable)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    venv = tmp_path / "venv"
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    (site / "marker_module.py").write_text("VALUE = 1\n")
    shim = PROJECT_ROOT / "localstack_ext" / "scones_localstack" / "lambda_executor" / "shim_sandbox.py"
    probe = subprocess.run(
        [str(venv / "bin" / "python"), str(shim), "--probe"], capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr
