"""docs/testing.md shows the plugin example as a user writes it; the suite runs that very code
(tests/testing/test_example_workflow.py), so the page and the test cannot drift apart."""

from __future__ import annotations

import ast
from pathlib import Path

from scones.config import PROJECT_ROOT

EXAMPLE = Path(__file__).with_name("test_example_workflow.py")
SECTION = "## Testing your workflow: the pytest plugin"


def test_docs_show_the_example_the_suite_runs() -> None:
    page = (PROJECT_ROOT / "docs" / "testing.md").read_text()
    section = page[page.index(SECTION) :]
    shown = section.split("```python\n", 1)[1].split("```", 1)[0]
    source = EXAMPLE.read_text()
    docstring = ast.get_docstring(ast.parse(source), clean=False)
    assert docstring is not None
    body = source.split('"""', 2)[2].lstrip("\n")
    assert shown == body
