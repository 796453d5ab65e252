"""The environment of a function process, built from scratch (pure functions, no LocalStack import).

Nothing of LocalStack's own environment is inherited: not GATEWAY_LISTEN, SERVICES, proxies,
AWS_PROFILE, the host's HOME with its ``~/.aws``. The function sees what LocalStack builds for it
(as for a container), plus the few variables a process needs, in AWS's precedence order.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
# Where the sandbox mounts the code, the runtime (shim) and layers: AWS's paths for the first two.
TASK_ROOT = "/var/task"
RUNTIME_DIR = "/var/runtime"
LAYERS_DIR = "/var/layers"
# The execution role's session, as LocalStack assumes it for the environment: AWS reserves these names.
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def function_environment(
    *,
    localstack_env: Mapping[str, object],
    function_env: Mapping[str, str] | None,
    extra_env: Mapping[str, str],
    runtime: str,
    interpreter_bin: str,
    code_dir: Path,
    runtime_dir: Path,
    sandbox: Path,
    layer_dirs: list[Path],
    parent_pid: int,
    runtime_api: str,
    isolated: bool,
) -> dict[str, str]:
    """Process defaults < LocalStack's variables < LAMBDA_PROCESS_EXTRA_ENV < the function's own;
    then the values AWS reserves, the execution role's credentials among them. ``isolated``: paths as
    seen inside the namespace sandbox, and no HOME or TMPDIR (AWS sets neither: ``/tmp`` is the
    environment's own). Otherwise (fallback) host paths and a per-environment HOME and TMPDIR, the only
    isolation a host process gets.

    AWS's defined variables: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
    (LANG=en_US.UTF-8, LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR, AWS_LAMBDA_RUNTIME_API = host:port).
    """
    env: dict[str, str] = {"PATH": f"{interpreter_bin}:{SYSTEM_PATH}", "LANG": "en_US.UTF-8"}
    if not isolated:
        env.update({"HOME": str(sandbox / "home"), "TMPDIR": str(sandbox / "tmp")})
    env.update({key: str(value) for key, value in localstack_env.items() if value is not None})
    env.update(extra_env)
    env.update(function_env or {})
    # the role's credentials win over both (CreateFunction and the settings refuse these keys already)
    env.update({key: str(localstack_env[key]) for key in CREDENTIAL_VARIABLES if localstack_env.get(key)})
    if isolated:
        layers = [f"{LAYERS_DIR}/{index}" for index in range(len(layer_dirs))]
        task_root, runtime_root = TASK_ROOT, RUNTIME_DIR
    else:
        layers = [str(p) for p in layer_dirs]
        task_root, runtime_root = str(code_dir), str(runtime_dir)
    env.update(
        {
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": runtime_root,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "LOCALSTACK_INTEROP_PORT": "0",
            # in the sandbox the supervisor outside the pid namespace watches LocalStack instead
            "LOCALSTACK_PARENT_PID": "0" if isolated else str(parent_pid),
            "LOCALSTACK_LAYER_PATHS": os.pathsep.join(layers),
        }
    )
    return env
