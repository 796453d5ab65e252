"""Configuration: each side of a process boundary names its variables once, and the sides agree.

Sides (docs: scones/config.py's docstring):
- the harness (``scones/config.py``) sets LAMBDA_PROCESS_* and SCONES_* variables on LocalStack's process,
  which our extension reads (``localstack_ext/scones_localstack/config.py``, loaded here by file path: it
  is standard library only and runs in LocalStack's venv);
- the extension sets SCONES_* variables on each stand-in endpoint process, which
  ``local_endpoint/settings.py`` reads;
- deploy sets ``THRESHOLD`` in the filter Lambda's environment, which ``lambdas/filter_confidence`` reads,
  and ``ENDPOINT_NAME`` in the classify Lambda's, which ``lambdas/classify`` reads.
Also: one resolution order (explicit → environment → default), old names that still work with a warning a
user sees, and no variable name spelled outside its side's one module.

Unit tests: no stack is started (one test runs a probe in LocalStack's venv, skipped when it is not built).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import local_endpoint.settings as endpoint_settings
from lambdas.classify import logic as classify_logic
from lambdas.filter_confidence import logic as filter_logic
from local_endpoint.artifact import DEFAULT_THRESHOLD
from local_endpoint.handoff import HANDOFF_STDIN
from scones import config as cfg
from scones.cli import cli
from scones.config import PROJECT_ROOT, Config, ConfigError, DeprecatedVariableWarning
from scones.stack.settings import StackSettings
from scones.workflow.plan import build_plan
from scones.workflow.settings import WorkflowSettings, settings_from
from tests.helpers.localstack_venv import extension_config, run_probe

EXTENSION = PROJECT_ROOT / "localstack_ext" / "scones_localstack"
NAME_LITERAL = re.compile(r"""["'](?:SCONES|LAMBDA_PROCESS)_[A-Z0-9_]+["']""")


def _endpoint_reads() -> set[str]:
    return {value for name, value in vars(endpoint_settings).items() if name.startswith("ENV_")}


# --- the sides agree ---------------------------------------------------------------------------------------


def test_every_name_scones_sets_on_localstack_is_one_the_extension_reads() -> None:
    ext = extension_config()
    shell = dict.fromkeys(cfg.PASSED_TO_LOCALSTACK, "7")  # what a user may set in the shell running `up`
    every_option = StackSettings(lambda_keepalive_ms=1, gateway_body_timeout_s=1.0, lambda_sandbox="off")
    env = every_option.localstack_environment(shell)
    ours = {name for name in env if name.startswith(("SCONES_", "LAMBDA_PROCESS_"))}
    assert ours == {
        cfg.LAMBDA_PROCESS_PYTHON_MAPPING,
        cfg.LAMBDA_PROCESS_SANDBOX_STATE_FILE,
        cfg.LAMBDA_PROCESS_SANDBOX,
        cfg.ENDPOINT_CMD,
        cfg.PROJECT_ROOT_VARIABLE,
        cfg.GATEWAY_BODY_TIMEOUT_S.name,
        cfg.IAM_ENFORCE.name,
        cfg.IAM_DENY_LOG,
        *cfg.PASSED_TO_LOCALSTACK,
    }
    assert ours <= ext.READ, f"set by scones, read by nobody in LocalStack: {sorted(ours - ext.READ)}"


def test_the_extension_names_the_same_variables_scones_sets() -> None:
    ext = extension_config()
    pairs = [
        (cfg.LAMBDA_PROCESS_PYTHON_MAPPING, ext.LAMBDA_PROCESS_PYTHON_MAPPING),
        (cfg.LAMBDA_PROCESS_SANDBOX_STATE_FILE, ext.LAMBDA_PROCESS_SANDBOX_STATE_FILE),
        (cfg.LAMBDA_PROCESS_SANDBOX, ext.LAMBDA_PROCESS_SANDBOX),
        (cfg.ENDPOINT_CMD, ext.ENDPOINT_CMD),
        (cfg.PROJECT_ROOT_VARIABLE, ext.ENDPOINT_PROJECT_ROOT),
        (cfg.GATEWAY_BODY_TIMEOUT_S.name, ext.GATEWAY_BODY_TIMEOUT),
        (cfg.SFN_EXECUTION_RETENTION, ext.SFN_EXECUTION_RETENTION),
        (cfg.ENDPOINT_BODY_TIMEOUT_S, ext.ENDPOINT_BODY_TIMEOUT),
        (cfg.IAM_ENFORCE.name, ext.IAM_ENFORCE),
        (cfg.IAM_DENY_LOG, ext.IAM_DENY_LOG),
    ]
    assert [ours for ours, _ in pairs] == [theirs for _, theirs in pairs]


SWITCH_PROBE = """
import json
from scones_localstack.iam import switch
print(json.dumps({"default": switch.DEFAULT_ENFORCE, "on": switch.iam_enforced({switch.IAM_ENFORCE: "1"}),
                  "off": switch.iam_enforced({switch.IAM_ENFORCE: "0"})}))
"""


def test_both_sides_default_iam_enforcement_alike() -> None:
    """A bare LocalStack (iam/switch.py's DEFAULT_ENFORCE) and `scones up` (IAM_ENFORCE_DEFAULT) agree, and
    read "1"/"0", what StackSettings passes, the same way (run in LocalStack's venv)."""
    out = run_probe(SWITCH_PROBE)
    assert out == {"default": cfg.IAM_ENFORCE_DEFAULT, "on": True, "off": False}
    assert (cfg.IAM_ENFORCE.parse("1"), cfg.IAM_ENFORCE.parse("0")) == (True, False)
    with pytest.raises(ValueError):
        cfg.IAM_ENFORCE.parse("maybe")


def test_every_name_the_extension_sets_on_an_endpoint_is_one_the_endpoint_reads() -> None:
    ext = extension_config()
    reads = _endpoint_reads()
    assert reads >= ext.SET_FOR_ENDPOINT, f"read by no endpoint: {sorted(ext.SET_FOR_ENDPOINT - reads)}"
    # A spare (sagemaker/spares.py) is started with the hand-off switch the endpoint reads (handoff.py).
    assert (ext.STANDIN_HANDOFF, ext.STANDIN_HANDOFF_STDIN) == (endpoint_settings.ENV_HANDOFF, HANDOFF_STDIN)
    # The stand-ins inherit LocalStack's environment: the body timeout the user sets reaches both.
    assert ext.ENDPOINT_BODY_TIMEOUT == endpoint_settings.ENV_BODY_TIMEOUT_S == cfg.ENDPOINT_BODY_TIMEOUT_S


STANDIN_PROBE = """
import json
from scones_localstack import config
from scones_localstack.sagemaker.processes import StandinSpec, standin_env
from scones_localstack.sagemaker.settings import Settings

spec = StandinSpec("000000000000", "us-east-1", "ep", "AllTraffic", "s3://b/model.tar.gz", {"x": 1})
env = standin_env(spec, 8080, "http://127.0.0.1:4566", Settings.from_env({}), {})
print(json.dumps({"set": sorted(k for k in env if k.startswith("SCONES_")),
                  "named": sorted(config.SET_FOR_ENDPOINT)}))
"""


def test_the_stand_in_environment_sets_exactly_the_names_config_lists() -> None:
    """Run in LocalStack's venv, where the extension runs: what standin_env really sets."""
    out = run_probe(STANDIN_PROBE)
    assert out["set"] == out["named"]
    assert set(out["set"]) <= _endpoint_reads()


def test_deploy_sets_the_threshold_variable_the_filter_lambda_reads() -> None:
    plan = build_plan(WorkflowSettings(threshold=0.5))
    (spec,) = [f for f in plan.functions if f.package == "filter_confidence"]
    assert spec.environment == {filter_logic.THRESHOLD_VARIABLE: "0.5"}
    assert cfg.LAMBDA_THRESHOLD == filter_logic.THRESHOLD_VARIABLE


def test_deploy_sets_the_endpoint_variable_the_classify_lambda_reads() -> None:
    plan = build_plan(WorkflowSettings(project="agree"))
    (spec,) = [f for f in plan.functions if f.package == "classify"]
    assert spec.environment == {classify_logic.ENDPOINT_NAME_VARIABLE: "agree-endpoint"}
    assert cfg.LAMBDA_ENDPOINT_NAME == classify_logic.ENDPOINT_NAME_VARIABLE


def test_the_lambda_default_threshold_is_the_artifact_contract_default() -> None:
    """The Lambda ships alone, so it keeps its own copy of the default; it must be the contract's."""
    assert filter_logic.DEFAULT_THRESHOLD == DEFAULT_THRESHOLD
    assert filter_logic.parse_threshold(None) == DEFAULT_THRESHOLD
    assert cfg.THRESHOLD.default == WorkflowSettings().threshold == DEFAULT_THRESHOLD


# --- one resolution order ----------------------------------------------------------------------------------


def test_precedence__explicit_then_environment_then_default() -> None:
    config = Config({cfg.THRESHOLD.name: "0.5", cfg.PORT.name: "5000"})
    assert config.get(cfg.THRESHOLD, 0.7) == 0.7
    assert config.get(cfg.THRESHOLD) == 0.5
    assert Config().get(cfg.THRESHOLD) == DEFAULT_THRESHOLD
    assert Config({cfg.THRESHOLD.name: "  "}).get(cfg.THRESHOLD) == DEFAULT_THRESHOLD  # blank = not set
    assert StackSettings.from_config(config, port=6000).port == 6000
    assert StackSettings.from_config(config).port == 5000
    assert StackSettings.from_config(Config()).port == cfg.PORT.default
    assert settings_from(config).threshold == 0.5
    assert settings_from(config, threshold=0.6).threshold == 0.6


def test_an_unusable_value_names_its_variable() -> None:
    with pytest.raises(ConfigError, match=r"SCONES_THRESHOLD='1\.5'"):
        Config({cfg.THRESHOLD.name: "1.5"}).get(cfg.THRESHOLD)
    with pytest.raises(ConfigError, match="SCONES_PORT='http'"):
        StackSettings.from_config(Config({cfg.PORT.name: "http"}))


def test_config_is_a_snapshot_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cfg.PROJECT.name, "before")
    config = Config.from_environ()
    monkeypatch.setenv(cfg.PROJECT.name, "after")
    assert config.get(cfg.PROJECT) == "before"


@pytest.mark.parametrize(
    ("env", "args", "project"),
    [
        ({}, [], cfg.PROJECT.default),
        ({cfg.PROJECT.name: "fromenv"}, [], "fromenv"),
        ({cfg.PROJECT.name: "fromenv"}, ["--project", "explicit"], "explicit"),
    ],
)
def test_cli_precedence__the_group_reads_the_environment_once_for_every_command(
    env: dict[str, str], args: list[str], project: str
) -> None:
    result = CliRunner().invoke(cli, ["deploy", "--dry-run", *args], env=env)
    assert result.exit_code == 0, result.output
    assert f"'scones:project': '{project}'" in result.output


def test_cli_takes_the_config_a_caller_passes() -> None:
    result = CliRunner().invoke(cli, ["deploy", "--dry-run"], obj=Config({cfg.PROJECT.name: "given"}))
    assert result.exit_code == 0, result.output
    assert "'scones:project': 'given'" in result.output


# --- deprecated names --------------------------------------------------------------------------------------


@pytest.mark.parametrize("old", cfg.DEPRECATED, ids=lambda old: old.old)
def test_deprecated_name_works_in_its_command_and_warns(old: cfg.DeprecatedName) -> None:
    value = "0.5" if old.new is cfg.THRESHOLD else "/some/model"
    with pytest.warns(DeprecatedVariableWarning, match=f"{old.old} is deprecated .*set {old.new.name}"):
        got = Config({old.old: value}).get(old.new, command=old.command)
    assert got == old.new.parse(value)


@pytest.mark.parametrize("old", cfg.DEPRECATED, ids=lambda old: old.old)
def test_deprecated_name__the_new_name_wins_when_both_are_set(old: cfg.DeprecatedName) -> None:
    old_value, new_value = ("0.5", "0.6") if old.new is cfg.THRESHOLD else ("/old", "/new")
    config = Config({old.old: old_value, old.new.name: new_value})
    with pytest.warns(DeprecatedVariableWarning, match=f"{old.old} is deprecated and ignored"):
        assert config.get(old.new, command=old.command) == old.new.parse(new_value)


@pytest.mark.parametrize("old", cfg.DEPRECATED, ids=lambda old: old.old)
def test_deprecated_name_is_not_read_by_other_commands(old: cfg.DeprecatedName) -> None:
    """SCONES_MODEL_DIR is still the endpoint's own variable, THRESHOLD the Lambda's: deploy ignores them."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Config({old.old: "0.5"}).get(old.new, command="deploy") == old.new.default


def test_deprecated_name__the_cli_prints_one_line_on_stderr(tmp_path: Path) -> None:
    missing = tmp_path / "old-artifact"
    result = CliRunner().invoke(cli, ["evaluate"], env={"SCONES_ARTIFACT_DIR": str(missing)})
    assert result.exit_code == 2
    assert f"{missing} is not an artifact directory" in result.stderr  # the old name's value was used
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warned == [
        "warning: SCONES_ARTIFACT_DIR is deprecated for `scones evaluate`: set SCONES_MODEL instead"
    ]


def test_deprecated_name__visible_with_the_interpreters_default_warning_filters(tmp_path: Path) -> None:
    """No pytest filters here: the real command in a fresh interpreter, as a user runs it."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SCONES_MODEL_DIR": str(tmp_path / "m")}
    run = subprocess.run(
        [sys.executable, "-c", "from scones.cli import main; main()", "train", "--stages", "nope"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines()[0] == (
        "warning: SCONES_MODEL_DIR is deprecated for `scones train`: set SCONES_MODEL instead"
    )


# --- one owner per name ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "owner"),
    [
        (("scones", "training"), "scones/config.py"),
        (("localstack_ext/scones_localstack",), "localstack_ext/scones_localstack/config.py"),
        (("local_endpoint",), "local_endpoint/settings.py"),
    ],
)
def test_variable_names_are_spelled_only_in_their_sides_config(side: tuple[str, ...], owner: str) -> None:
    """A quoted SCONES_* or LAMBDA_PROCESS_* name outside the side's one module is a second definition."""
    strays = []
    for folder in side:
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative == owner:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                strays += [f"{relative}:{number}: {m}" for m in NAME_LITERAL.findall(line)]
    assert strays == []
    assert NAME_LITERAL.search((PROJECT_ROOT / owner).read_text())


def test_no_name_is_defined_twice_in_scones_config() -> None:
    variables = [v for v in vars(cfg).values() if isinstance(v, cfg.Variable)]
    names = [v.name for v in variables]
    assert len(names) == len(set(names))
    constants = [
        v
        for k, v in vars(cfg).items()
        if k.isupper() and isinstance(v, str) and NAME_LITERAL.fullmatch(f'"{v}"')
    ]
    assert len(constants) == len(set(constants))
    assert not set(constants) & set(names)


def test_class_names_are_spelled_only_in_the_artifact_contract() -> None:
    """The classes come from the artifact or the staged classes.json; the original project's two names are
    the contract's fallback (local_endpoint/artifact.py DEFAULT_CLASSES) and are spelled nowhere else."""
    owner = "local_endpoint/artifact.py"
    literal = re.compile(r"""["'](?:bicycle|motorcycle)["']""")
    strays = []
    for folder in ("scones", "training", "local_endpoint", "lambdas", "localstack_ext/scones_localstack"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative != owner:
                text = path.read_text()
                strays += [f"{relative}: {m}" for m in literal.findall(text)]
    assert strays == []
    assert literal.search((PROJECT_ROOT / owner).read_text())


def test_workflow_settings_has_no_with_helper() -> None:
    """Dead code removed: dataclasses.replace does what ``with_`` did."""
    assert not hasattr(WorkflowSettings, "with_")
    assert dataclasses.replace(WorkflowSettings(), project="p").project == "p"
