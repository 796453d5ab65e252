"""The plugin under pytest-xdist: every worker gets a stack of its own (own port, own state folder), and
nothing one worker creates is visible to another.

Why a subprocess: xdist's workers are separate pytest processes, as in the user's run of ``pytest -n 2``.
``--dist each`` runs the one test on both workers, so each reports the stack it was given.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scones.stack.process import health

pytestmark = pytest.mark.integration
pytest_plugins = ["pytester"]

USER_TEST = """
import json, os

def test_my_stack_is_my_own(scones_stack, scones_clients, scones_project):
    bucket = f"{scones_project}-bucket"
    scones_clients.s3.create_bucket(Bucket=bucket)
    seen = [b["Name"] for b in scones_clients.s3.list_buckets()["Buckets"]]
    record = {
        "worker": os.environ["PYTEST_XDIST_WORKER"],
        "url": scones_stack.endpoint_url,
        "log": str(scones_stack.log_file),
        "project": scones_project,
        "buckets": seen,
    }
    folder = os.environ["SCONES_XDIST_RECORDS"]
    with open(os.path.join(folder, record["worker"] + ".json"), "w") as f:
        json.dump(record, f)
"""


def test_each_xdist_worker_starts_its_own_stack_and_stops_it(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = tmp_path / "records"
    records.mkdir()
    monkeypatch.setenv("SCONES_XDIST_RECORDS", str(records))
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--dist", "each", timeout=240)
    result.assert_outcomes(passed=2)

    seen = [json.loads(path.read_text()) for path in sorted(records.glob("*.json"))]
    assert [r["worker"] for r in seen] == ["gw0", "gw1"]
    assert seen[0]["url"] != seen[1]["url"]
    assert seen[0]["log"] != seen[1]["log"]
    assert seen[0]["project"].startswith("tgw0-") and seen[1]["project"].startswith("tgw1-")
    for record in seen:  # each stack holds its own worker's bucket only
        assert record["buckets"] == [f"{record['project']}-bucket"]
        assert health(record["url"], timeout=1.0) is None, f"{record['url']} still answers after the run"
