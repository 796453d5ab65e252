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
) -> dict[str, str]:
    """Process defaults < LocalStack's variables < LAMBDA_PROCESS_EXTRA_ENV < the function's own;
    then the values that only make sense for a host process (AWS reserves these names anyway)."""
    env: dict[str, str] = {
        "PATH": f"{interpreter_bin}:{SYSTEM_PATH}",
        "LANG": "C.UTF-8",
        "HOME": str(sandbox / "home"),
        "TMPDIR": str(sandbox / "tmp"),
    }
    env.update({key: str(value) for key, value in localstack_env.items() if value is not None})
    env.update(extra_env)
    env.update(function_env or {})
    env.update(
        {
            "LAMBDA_TASK_ROOT": str(code_dir),
            "LAMBDA_RUNTIME_DIR": str(runtime_dir),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            "LOCALSTACK_INTEROP_PORT": "0",
            "LOCALSTACK_PARENT_PID": str(parent_pid),
            "LOCALSTACK_LAYER_PATHS": os.pathsep.join(str(p) for p in layer_dirs),
        }
    )
    return env
