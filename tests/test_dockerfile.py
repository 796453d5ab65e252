"""The Dockerfile reader of the static Docker checks (tests/helpers/dockerfile.py), on small written examples.

What it must read as Docker does (Dockerfile reference, "Parser directives"/"Escape"/"FROM"/"COPY"): a
``\\`` continues an instruction, comment and blank lines are dropped even inside a continuation, ``FROM``
takes ``--platform`` and ``AS name``, and ``COPY``/``ADD`` take exec-form JSON arrays and ``--from``.
"""

from __future__ import annotations

from tests.helpers.dockerfile import (
    PipInstall,
    copy_sources,
    dockerignore_patterns,
    env_of,
    ignored,
    logical_lines,
    parse_dockerfile,
    pip_installs,
)

EXAMPLE = """\
# syntax=docker/dockerfile:1
FROM --platform=linux/amd64 python:3.11-slim-bookworm AS build
WORKDIR /opt/scones
COPY constraints/ constraints/
COPY pyproject.toml ./
RUN python3.11 -m venv /opt/scones/.venv \\
    # a comment inside the continuation
 \\
    && /opt/scones/.venv/bin/python -m pip install --no-cache-dir \\
       -c constraints/project.txt ./pyproject.toml "boto3>=1.42"

from python:3.11-slim-bookworm
ENV A=1 B="two words"
ENV A=3
COPY --from=build /opt/scones/.venv /opt/scones/.venv
ADD ["scones", "/opt/scones/scones"]
USER 10001:10001
ENTRYPOINT ["/opt/scones/.venv/bin/scones"]
"""


def test_logical_lines__joins_continuations_and_drops_comments_and_blank_lines() -> None:
    lines = logical_lines(EXAMPLE)
    assert not any(line.startswith("#") for line in lines)
    (run,) = [line for line in lines if line.startswith("RUN ")]
    assert " && /opt/scones/.venv/bin/python -m pip install" in run and run.endswith('"boto3>=1.42"')
    assert logical_lines("RUN a \\\n") == ["RUN a"]  # a continuation at the end of the file still counts


def test_parse__stages_bases_names_and_instructions() -> None:
    build, final = parse_dockerfile(EXAMPLE)
    assert (build.base, build.name) == ("python:3.11-slim-bookworm", "build")
    assert (final.base, final.name) == ("python:3.11-slim-bookworm", None)  # lower-case `from` too
    assert [keyword for keyword, _ in build.instructions] == ["WORKDIR", "COPY", "COPY", "RUN"]
    assert final.all("USER") == ["10001:10001"]
    assert final.all("ENTRYPOINT") == ['["/opt/scones/.venv/bin/scones"]']
    assert parse_dockerfile("ARG X=1\nRUN before any stage\n") == []


def test_env_of__key_value_pairs_later_ones_win() -> None:
    assert env_of(parse_dockerfile(EXAMPLE)[-1]) == {"A": "3", "B": "two words"}


def test_pip_installs__venv_pythons_constraints_and_context_paths() -> None:
    build, final = parse_dockerfile(EXAMPLE)
    assert pip_installs([build, final]) == [
        PipInstall(
            venv=".venv",
            venv_python="3.11",
            base_python="3.11",
            constraints="project.txt",
            requirements=["pyproject.toml", "boto3>=1.42"],  # ./pyproject.toml mapped back to the context
        )
    ]
    assert pip_installs(parse_dockerfile("FROM debian\nRUN /v/bin/pip install x\n")) == [
        PipInstall("v", None, None, None, ["x"])
    ]
    assert pip_installs(parse_dockerfile("FROM debian\nRUN pip install x\n")) == []  # not into a venv


def test_copy_sources__context_paths_only() -> None:
    assert copy_sources(parse_dockerfile(EXAMPLE)) == ["constraints/", "pyproject.toml", "scones"]


def test_ignored__matches_the_path_or_a_parent_and_double_star_at_the_top() -> None:
    patterns = dockerignore_patterns("# heavy\n.venv*\n\n**/__pycache__\nartifacts/\n")
    assert patterns == [".venv*", "**/__pycache__", "artifacts/"]
    assert ignored(".venv-localstack", patterns)
    assert ignored("scones/__pycache__/x.pyc", patterns)
    assert ignored("__pycache__", patterns)
    assert not ignored("scones/cli.py", patterns)
    assert not ignored("artifacts", ["artifacts/"])  # fnmatch: the pattern's trailing slash must match
