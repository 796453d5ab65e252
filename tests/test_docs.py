"""The documentation is checked like code: its shell examples run, its links resolve, the README stays short.

Every fenced ``sh``/``bash``/``shell``/``console`` block in README.md and docs/*.md is either run here (cwd =
the repository root, ``.venv/bin`` first on PATH, ``AWS_EC2_METADATA_DISABLED=true``, so nothing reaches for
instance metadata) and must exit 0, or carries a mark on the line just before its opening fence or just after
its closing fence::

    <!-- not-run: why, and tests/scones/test_demo.py covers it -->

naming at least one existing test file that exercises what the block shows. Commands that need a running
stack, Docker, AWS, the network or minutes of CPU (``make demo``, ``make test``, ``scones up``, training,
``--target aws``, ``docker compose``) are such blocks; an unmarked block that contains one fails here
instead of being run, so a careless edit can never start ``make test`` from inside ``make test``.
"""

from __future__ import annotations

import os
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

import local_endpoint.settings as endpoint_settings
import scones.config as harness
from scones.stack.clients import shell_exports
from tests.helpers.localstack_venv import extension_config

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 150
# The README's first block: the two commands that work on a fresh machine, in this order.
FRONT_DOOR_COMMANDS = ["make demo", "make test"]

SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:(?P<reason>.*?)-->\s*$")
TEST_FILE = re.compile(r"\btests/(?:[\w.-]+/)*test_[\w.-]+\.py\b")
# What no test may start unasked: a whole suite, a whole demo, a stack, Docker, AWS, minutes of training.
LONG_COMMANDS = re.compile(
    r"\bmake\s+(demo|test|bench|setup)\b|\bscones\s+(up|demo|train|stage)\b|--target\s+aws|SCONES_TARGET=aws"
    r"|\bdocker\b|\bdocker-compose\b|benchmarks/|\bpytest\b|tools/setup\.py"
)
CODE_SPAN = re.compile(r"`[^`]*`")
LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
COMMAND_TIMEOUT_S = 120


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page, with the not-run mark next to it when there is one."""

    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    body: list[str]
    mark: str | None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    def script(self) -> str:
        """The commands as a bash script: a console block's ``$ `` lines (and their continuations) only."""
        if self.lang != "console":
            return "\n".join(self.body)
        commands: list[str] = []
        continuing = False
        for text in self.body:
            if continuing or text.startswith("$ "):
                commands.append(text[2:] if text.startswith("$ ") and not continuing else text)
                continuing = text.rstrip().endswith("\\")
        return "\n".join(commands)

    def commands(self) -> list[str]:
        """Each command line without its trailing comment (for the README's front-door check)."""
        lines = (re.sub(r"\s+#.*$", "", text).strip() for text in self.script().splitlines())
        return [text for text in lines if text and not text.startswith("#")]


def _blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, end = opening["fence"], index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        before = lines[index - 1] if index > 0 else ""
        after = lines[end + 1] if end + 1 < len(lines) else ""
        marks = [m["reason"].strip() for m in map(NOT_RUN.match, (before, after)) if m]
        body = [text[len(opening["indent"]) :] for text in lines[index + 1 : end]]
        blocks.append(Block(page, index + 1, opening["lang"].lower(), body, marks[0] if marks else None))
        index = end + 1
    return blocks


def _prose(page: Path) -> list[str]:
    """The page's lines outside fenced blocks (links in examples are not links)."""
    inside: set[int] = set()
    for block in _blocks(page):
        inside.update(range(block.line - 1, block.line + len(block.body) + 1))
    return [
        text
        for number, text in enumerate(page.read_text(encoding="utf-8").splitlines())
        if number not in inside
    ]


SHELL_BLOCKS = [block for page in PAGES for block in _blocks(page) if block.lang in SHELL_LANGUAGES]
RUN = [block for block in SHELL_BLOCKS if block.mark is None]
MARKED = [block for block in SHELL_BLOCKS if block.mark is not None]


def _is_long(command: str) -> bool:
    """A command that starts something big, unless it only asks for help or a plan."""
    if re.search(r"(^|\s)(--help|-h|--dry-run)(\s|$)", command):
        return False
    return LONG_COMMANDS.search(command) is not None


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_docs_show_commands_at_all() -> None:
    """Guards the parametrised tests below against passing vacuously (a parser that finds nothing)."""
    assert RUN, "no runnable shell block found in README.md or docs/*.md"
    assert MARKED, "no marked shell block found in README.md or docs/*.md"


@pytest.mark.parametrize("block", RUN, ids=[block.where for block in RUN])
def test_short_shell_block_runs(block: Block) -> None:
    script = block.script()
    long_commands = [text for text in block.commands() if _is_long(text)]
    assert not long_commands, (
        f"{block.where} shows {long_commands}, which are not short: mark the block "
        "<!-- not-run: ... tests/<the test that covers it>.py -->"
    )
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, (
        f"{block.where} exited {result.returncode}\n--- script\n{script}\n--- stdout\n{result.stdout[-3000:]}"
        f"\n--- stderr\n{result.stderr[-3000:]}"
    )


@pytest.mark.parametrize("block", MARKED, ids=[block.where for block in MARKED])
def test_marked_shell_block_names_an_existing_test(block: Block) -> None:
    assert block.mark is not None
    named = TEST_FILE.findall(block.mark)
    assert named, f"{block.where}: the not-run mark names no test file (tests/....py): {block.mark!r}"
    missing = [name for name in named if not (ROOT / name).is_file()]
    assert not missing, f"{block.where}: the not-run mark names test files that do not exist: {missing}"


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, duplicates numbered."""
    anchors: set[str] = set()
    for text in _prose(page):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", text)
        if not heading:
            continue
        title = re.sub(r"[`*_]|<[^>]+>", "", heading[1]).lower()
        slug = "".join(c for c in title if c in " -_" or unicodedata.category(c)[0] in "LN").replace(" ", "-")
        candidate, number = slug, 1
        while candidate in anchors:
            candidate, number = f"{slug}-{number}", number + 1
        anchors.add(candidate)
    return anchors


LINKS = [
    (page, match["target"])
    for page in PAGES
    for text in _prose(page)
    for match in LINK.finditer(CODE_SPAN.sub("", text))  # `[a](b)` inside a code span is not a link
    if not re.match(r"^[a-z][a-z0-9+.-]*:", match["target"])  # http:, https:, mailto: ...
]


def test_the_docs_have_relative_links() -> None:
    """Guards the link test below against passing vacuously."""
    assert len(LINKS) >= len(PAGES)


@pytest.mark.parametrize(
    ("page", "target"), LINKS, ids=[f"{page.relative_to(ROOT)}->{target}" for page, target in LINKS]
)
def test_relative_link_resolves(page: Path, target: str) -> None:
    path_part, _, anchor = target.partition("#")
    destination = (page.parent / path_part).resolve() if path_part else page
    assert destination.exists(), f"{page.relative_to(ROOT)} links to {target}, which does not exist"
    if anchor and destination.suffix == ".md":
        assert anchor in _anchors(destination), f"{page.relative_to(ROOT)} links to {target}: no such heading"


def test_readme_is_a_front_door() -> None:
    """≤ 150 lines, and after the title the first thing is the two commands that work on a fresh machine."""
    readme = ROOT / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines (at most {README_MAX_LINES})"
    content = [text for text in lines if text.strip() and not NOT_RUN.match(text)]
    assert content[0].startswith("# "), "README.md starts with its title"
    assert FENCE.match(content[1]), "the first thing after the README's title is the set-up block"
    first = _blocks(readme)[0]
    assert first.lang in SHELL_LANGUAGES
    assert first.commands() == FRONT_DOOR_COMMANDS


@pytest.mark.parametrize("page", PAGES[1:], ids=[page.name for page in PAGES[1:]])
def test_each_docs_page_opens_with_what_it_is_for(page: Path) -> None:
    """A title, then a paragraph of prose before any other heading, table, list or example."""
    lines = [text for text in page.read_text(encoding="utf-8").splitlines() if text.strip()]
    assert lines[0].startswith("# "), f"{page.name} starts with a title"
    assert re.match(r"^[A-Za-z`*(\[]", lines[1]) and not lines[1].startswith("```"), (
        f"{page.name}: the title is followed by a paragraph saying what the page is for, not {lines[1]!r}"
    )


ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^THRESHOLD$")
CONFIGURATION_PAGE = ROOT / "docs" / "configuration.md"


def _names_in_code() -> set[str]:
    """Every variable name its three owners define: scones/config.py, the extension's, the endpoint's."""
    names = {value.name for value in vars(harness).values() if isinstance(value, harness.Variable)}
    names |= {old.old for old in harness.DEPRECATED}
    names |= {value for value in vars(harness).values() if isinstance(value, str) and ENV_NAME.match(value)}
    extension = extension_config()  # stdlib-only, in LocalStack's venv: loaded by its file path
    names |= set(extension.READ) | set(extension.SET_FOR_ENDPOINT)
    names |= {
        value
        for key, value in vars(endpoint_settings).items()
        if key.startswith("ENV_") and isinstance(value, str)
    }
    return names


def test_configuration_page_lists_every_variable_the_code_names() -> None:
    """docs/configuration.md against the modules that own the names: none missing, none invented."""
    code = _names_in_code()
    page = CONFIGURATION_PAGE.read_text(encoding="utf-8")
    shown = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", page)) | set(re.findall(r"\b(SCONES_[A-Z0-9_]+)\b", page))
    missing = sorted(code - shown)
    assert not missing, f"docs/configuration.md does not list {missing}"
    ours = {name for name in shown if name.startswith(("SCONES_", "LAMBDA_PROCESS_"))}
    invented = sorted(ours - code)
    assert not invented, f"docs/configuration.md lists {invented}, which no configuration module names"


def test_the_exports_shown_are_the_ones_scones_up_prints() -> None:
    """docs/local-stack.md shows exactly `scones up`'s lines; the README's session sets the same variables."""
    printed = shell_exports(harness.DEFAULT_LOCAL_ENDPOINT)
    shown = [
        block.commands()
        for block in _blocks(ROOT / "docs" / "local-stack.md")
        if block.commands() and all(line.startswith("export ") for line in block.commands())
    ]
    assert shown == [printed]
    readme = [
        line
        for block in _blocks(ROOT / "README.md")
        for line in block.commands()
        if line.startswith("export ")
    ]
    assert sorted(" ".join(readme).replace("export ", "").split()) == sorted(line[7:] for line in printed)
