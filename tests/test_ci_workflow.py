"""The GitHub Actions example (.github/workflows/ci.yml): what it promises, checked here because it cannot
run here (no GitHub).

It must run the suite as .ci/run does (`make test`), on a stock hosted runner, with no AWS credentials, no
LocalStack auth token and no Docker (no `localstack/localstack` image, no service container); install both
interpreters tools/setup.py needs; cache the venvs on every file tools/setup.py hashes; say which Lambda
sandbox the runner gets; and keep the report and logs of a failed run. `make lint` runs actionlint on it;
the last tests show actionlint really checks (a broken copy fails), so the lint cannot pass silently.

Workflow syntax: https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.setup_script import load_setup_script

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"

# Names that would hand the job a credential (AWS's standard variables, LocalStack's token variables).
CREDENTIAL_NAMES = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "LOCALSTACK_AUTH_TOKEN",
    "LOCALSTACK_API_KEY",
}
CREDENTIAL_ACTIONS = ("aws-actions/configure-aws-credentials", "localstack/setup-localstack")


SETUP = load_setup_script()


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _jobs(workflow: dict[Any, Any]) -> dict[str, dict[str, Any]]:
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict) and jobs
    return jobs


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in _jobs(workflow).values() for step in job.get("steps", [])]


def _step(workflow: dict[Any, Any], name: str) -> dict[str, Any]:
    matches = [step for step in _steps(workflow) if step.get("name") == name]
    assert len(matches) == 1, f"expected one step named {name!r}"
    return matches[0]


def _uses(workflow: dict[Any, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in _steps(workflow) if str(step.get("uses", "")).split("@")[0] == action]


def _run_lines(workflow: dict[Any, Any]) -> list[str]:
    return [line.strip() for step in _steps(workflow) for line in str(step.get("run", "")).splitlines()]


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def test_runs_make_test_on_a_stock_hosted_runner(workflow: dict[Any, Any]) -> None:
    """The same entry point as .ci/run, on a GitHub-hosted image (no self-hosted labels)."""
    assert {"push", "pull_request"} <= set(_triggers(workflow))
    assert any(re.match(r"make test(\s|$)", line) for line in _run_lines(workflow))
    for job in _jobs(workflow).values():
        assert job["runs-on"] == "ubuntu-24.04"
        assert job.get("timeout-minutes"), "a hung LocalStack must not hold a runner for 6 hours"
        assert job.get("defaults", {}).get("run", {}).get("shell") == "bash", (
            "`shell: bash` makes GitHub run steps with -eo pipefail, so `make test | tee` fails if make does"
        )


def test_ci_run_and_the_example_run_the_same_targets(workflow: dict[Any, Any]) -> None:
    """The project's own CI and the example run the same things: the suite, then the real-client tests
    (their own target, so `make test` stays within 10 minutes)."""
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands.index("make test") < commands.index("make test-clients")
    assert any(re.match(r"make test-clients(\s|$)", line) for line in _run_lines(workflow))


def test_no_credentials_token_or_secrets(workflow: dict[Any, Any]) -> None:
    """Nothing in the workflow can give the job AWS credentials or a LocalStack token."""
    text = WORKFLOW.read_text()
    assert "secrets." not in text and "secrets[" not in text
    for name in CREDENTIAL_NAMES:
        assert name not in text, f"{name} appears in the workflow"
    envs = [workflow.get("env", {})]
    for job in _jobs(workflow).values():
        envs.append(job.get("env", {}))
        envs += [step.get("env", {}) for step in job.get("steps", [])]
    assert not CREDENTIAL_NAMES & {name for env in envs for name in env}
    for action in CREDENTIAL_ACTIONS:
        assert not _uses(workflow, action), f"{action} needs credentials or a token"
    assert workflow.get("permissions") == {"contents": "read"}


def test_no_docker_and_no_localstack_image(workflow: dict[Any, Any]) -> None:
    """LocalStack comes from PyPI into its own venv: no image (it needs a token now), no service container."""
    assert "localstack/localstack" not in WORKFLOW.read_text()
    for name, job in _jobs(workflow).items():
        assert "services" not in job, f"job {name} starts service containers"
        assert "container" not in job, f"job {name} runs in a container"
    for step in _steps(workflow):
        assert not str(step.get("uses", "")).startswith("docker://")
    assert not [line for line in _run_lines(workflow) if re.search(r"\bdocker\b", line)]


def test_sets_up_every_interpreter_tools_setup_needs(workflow: dict[Any, Any]) -> None:
    """3.11 (the project, the endpoint) and 3.13 (LocalStack, the function runtime), from tools/setup.py."""
    needed = {env.python for env in SETUP.ENVS.values()}
    assert needed == {"3.11", "3.13"}
    (setup_python,) = _uses(workflow, "actions/setup-python")
    versions = set(str(setup_python["with"]["python-version"]).split())
    assert versions == needed


def test_venv_cache_is_keyed_on_everything_setup_hashes(workflow: dict[Any, Any]) -> None:
    """A cache hit must mean tools/setup.py would find nothing to do: every venv is cached and every file
    that goes into a venv's stamp (constraints, lint pins, inputs) is in the key, so a new pin or a new venv
    added to tools/setup.py cannot be served a stale cache."""
    (cache,) = _uses(workflow, "actions/cache")
    paths = str(cache["with"]["path"]).split()
    key = str(cache["with"]["key"])
    hashed = re.search(r"hashFiles\(([^)]*)\)", key)
    assert hashed, "the key must hash the files the venvs are built from"
    patterns = re.findall(r"'([^']+)'", hashed.group(1))
    assert "tools/setup.py" in patterns
    for env in SETUP.ENVS.values():
        assert any(fnmatch.fnmatch(env.name, p) for p in paths), f"{env.name} is not cached"
        files = [f"constraints/{env.constraints}", *env.inputs]
        if env.lint:
            files.append(f"constraints/{env.lint}")
        for rel in files:
            assert any(fnmatch.fnmatch(rel, p) for p in patterns), f"{rel} is not in the cache key"
    assert "steps.pythons.outputs.versions" in key, "a new interpreter patch release must not reuse venvs"


def test_says_which_lambda_sandbox_it_gets_before_the_tests(workflow: dict[Any, Any]) -> None:
    """Ubuntu 24.04 restricts unprivileged user namespaces (docs/sandbox.md, the fallback): the workflow
    prints the kernel setting and the mode before `make test`, and what the suite's stacks recorded after."""
    steps = _steps(workflow)
    names = [step.get("name") for step in steps]
    report = _step(workflow, "Which Lambda sandbox this runner gets")
    relax = _step(workflow, "Allow unprivileged user namespaces (the Lambda sandbox needs them)")
    make_test = _step(workflow, "make test")
    assert names.index(relax["name"]) < names.index(report["name"]) < names.index(make_test["name"])
    assert "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in relax["run"]
    assert "apparmor_restrict_unprivileged_userns" in report["run"]
    after = _step(workflow, "Lambda sandbox the test stacks used")
    assert after.get("if") == "always()" and "lambda-sandbox.json" in after["run"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox probe is Linux only")
def test_the_sandbox_report_step_runs(tmp_path: Path) -> None:
    """The report step's script, run here as the runner would (bash -eo pipefail, from the checkout): it
    must still match the executor's module (scones_localstack.lambda_executor.sandbox) and print a mode."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    script = _step(workflow, "Which Lambda sandbox this runner gets")["run"]
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "AWS_EC2_METADATA_DISABLED": "true"}
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^Lambda function sandbox: (namespaces|fallback) \(.+\)$", result.stdout, re.M)
    assert "kernel.apparmor_restrict_unprivileged_userns: " in result.stdout
    assert "### Lambda function sandbox" in summary.read_text()


def test_keeps_the_report_and_logs_of_a_failed_run(workflow: dict[Any, Any]) -> None:
    make_test = _step(workflow, "make test")["run"]
    assert "--junitxml=$RUNNER_TEMP/ci-output/test-report.xml" in make_test
    assert 'tee "$RUNNER_TEMP/ci-output/make-test.log"' in make_test
    (upload,) = _uses(workflow, "actions/upload-artifact")
    assert upload["if"] == "failure()"
    assert upload["with"]["path"] == "${{ runner.temp }}/ci-output"
    collect = _step(workflow, "Collect LocalStack logs")
    assert collect["if"] == "failure()" and "localstack.log" in collect["run"]


def _actionlint_command() -> list[str]:
    """The line `make lint` runs (read from the Makefile, so this test checks what the lint does)."""
    lines = [line.strip() for line in (ROOT / "Makefile").read_text().splitlines()]
    (line,) = [line for line in lines if line.startswith(".venv/bin/actionlint")]
    argv = shlex.split(line)
    assert argv[-1] == ".github/workflows/*.yml"
    return argv[:-1]


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    argv = [*_actionlint_command(), "-oneline", "-no-color", *map(str, files)]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_actionlint_accepts_the_workflow() -> None:
    result = _actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "reported"),
    [
        # an expression naming a step that does not exist (actionlint types the `steps` context)
        ("steps.pythons.outputs.versions", "steps.pythonz.outputs.versions", "pythonz"),
        # an unquoted variable in a `run:` script: shellcheck, through actionlint, must be wired in
        ("run: make setup", "run: cd $HOME && make setup", "SC2086"),
        # a job without a runner
        ("    runs-on: ubuntu-24.04\n", "", "runs-on"),
    ],
    ids=["unknown-step", "shellcheck", "no-runs-on"],
)
def test_actionlint_rejects_a_broken_copy(tmp_path: Path, old: str, new: str, reported: str) -> None:
    """If these pass, the lint really reads the workflow: a silent pass (no files, wrong binary) fails."""
    text = WORKFLOW.read_text()
    assert old in text
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(old, new, 1))
    result = _actionlint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert reported in result.stdout
