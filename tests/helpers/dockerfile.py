"""A small Dockerfile reader for the static Docker checks (tests/test_docker_static.py).

Why our own: no Docker engine here (and none in CI), and the checks need only what a Dockerfile says about
stages, ``ENV``, ``COPY`` sources and ``pip install`` into venvs, to compare with tools/setup.py. It reads
the subset of the syntax our Dockerfiles use (Dockerfile reference: continuation lines with ``\\``,
comments, ``FROM [--platform=…] image [AS name]``, exec-form JSON arrays) and is unit-tested on its own in
tests/test_dockerfile.py, so a failing Docker check points at the Dockerfile, not at the reader.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)  # (KEYWORD, arguments)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def logical_lines(text: str) -> list[str]:
    """Instructions one per line: continuations joined; comments and blank lines dropped (also inside a
    continuation, as Docker's parser drops them)."""
    logical: list[str] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        logical.append(buf + line)
        buf = ""
    if buf.strip():
        logical.append(buf.rstrip())
    return logical


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages with their instructions (keywords upper-cased; anything before the first FROM ignored)."""
    stages: list[Stage] = []
    for line in logical_lines(text):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) > 2 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif stages:
            stages[-1].instructions.append((keyword, args))
    return stages


def read_dockerfile(path: Path) -> list[Stage]:
    return parse_dockerfile(path.read_text())


def env_of(stage: Stage) -> dict[str, str]:
    """The stage's ``ENV key=value ...`` settings (the ``key=value`` form; later ones win)."""
    env: dict[str, str] = {}
    for args in stage.all("ENV"):
        for word in shlex.split(args):
            key, _, value = word.partition("=")
            env[key] = value
    return env


@dataclass(frozen=True)
class PipInstall:
    venv: str  # venv directory name, e.g. ".venv-localstack"
    venv_python: str | None  # the X.Y of `python3.X -m venv <venv>` in the same stage
    base_python: str | None  # the X.Y of a python:X.Y-... base image
    constraints: str | None  # file name under constraints/
    requirements: list[str]  # the pip arguments after the options


def _pip_call(words: list[str]) -> tuple[str, list[str]] | None:
    """(venv name, arguments) of `<venv>/bin/python -m pip install ...` or `<venv>/bin/pip install ...`."""
    if words[1:4] == ["-m", "pip", "install"]:
        return Path(words[0]).parent.parent.name, words[4:]
    if Path(words[0]).name == "pip" and words[1:2] == ["install"] and "/bin/" in words[0]:
        return Path(words[0]).parent.parent.name, words[2:]
    return None


def pip_installs(stages: list[Stage]) -> list[PipInstall]:
    """Every pip install into a venv, with file arguments mapped back to their build-context paths."""
    found: list[PipInstall] = []
    for stage in stages:
        base = re.match(r"python:(\d+\.\d+)", stage.base)
        created: dict[str, str] = {}
        copied: dict[str, str] = {}  # destination as a RUN would name it -> build-context source
        workdir = "/"
        for keyword, args in stage.instructions:
            if keyword == "WORKDIR":
                workdir = str(Path(workdir, args))
            elif keyword == "COPY" and "--from" not in args:
                *sources, dest = shlex.split(args)
                for source in sources:
                    target = str(Path(dest, Path(source).name)) if dest.endswith("/") else dest
                    copied[target.rstrip("/")] = source.rstrip("/")
                    copied[str(Path(workdir, target))] = source.rstrip("/")
            elif keyword == "RUN":
                for command in args.split("&&"):
                    words = shlex.split(command)
                    if words[1:3] == ["-m", "venv"] and (m := re.fullmatch(r"python(\d+\.\d+)", words[0])):
                        created[Path(words[3]).name] = m.group(1)
                    call = _pip_call(words)
                    if call is None:
                        continue
                    venv, rest = call[0], [copied.get(str(Path(w)), w) for w in call[1]]  # ./x, x/ are x
                    constraints, requirements = None, []
                    while rest:
                        word = rest.pop(0)
                        if word == "-c":
                            constraints = rest.pop(0).removeprefix("constraints/")
                        elif not word.startswith("--"):
                            requirements.append(word)
                    python = base.group(1) if base else None
                    found.append(PipInstall(venv, created.get(venv), python, constraints, requirements))
    return found


def copy_sources(stages: list[Stage]) -> list[str]:
    """Context paths COPY'd or ADD'ed into any stage (not from another stage)."""
    sources: list[str] = []
    for stage in stages:
        for args in stage.all("COPY") + stage.all("ADD"):
            words = json.loads(args) if args.startswith("[") else shlex.split(args)
            if any(w.startswith("--from") for w in words):
                continue
            sources += [w for w in words[:-1] if not w.startswith("--")]
    return sources


def dockerignore_patterns(text: str) -> list[str]:
    """The patterns of a .dockerignore (blank lines and comments dropped)."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore ``patterns`` (exclusions only, no ``!``) keep ``path`` out of the context: a
    pattern matches the path or any of its parent directories; ``**/`` also matches at the top."""
    parts = Path(path.rstrip("/")).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        options = {pattern, pattern.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(p, o) for p in prefixes for o in options):
            return True
    return False
