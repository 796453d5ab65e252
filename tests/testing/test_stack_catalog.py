"""The plugin's stacks share LocalStack's service catalog: the first stack builds it on its first request
(localstack/aws/spec.py get_service_catalog: <cache>/service-catalog-<ls>-<botocore>.dill), the next ones
load it from static_libs, where LocalStack's image ships it prebuilt, and build nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from scones.testing.stack import pinned_catalog_name, start_stack

pytestmark = pytest.mark.integration


def test_start_stack__second_stack_loads_the_catalog_the_first_built(tmp_path: Path) -> None:
    cache = tmp_path / "catalog-cache"
    first = start_stack(tmp_path / "first", catalog_cache=cache)
    try:
        built = sorted(p.name for p in cache.glob("service-catalog-*.dill"))
        # the name the pins give is the one LocalStack builds: a stack given it makes no first request
        assert built == [pinned_catalog_name()]
    finally:
        first.stop()
    second = start_stack(tmp_path / "second", catalog_cache=cache)
    try:
        assert second.client("sts").get_caller_identity()["Account"]
        fs = second.settings.state_dir / "fs"
        assert [p.name for p in (fs / "usr/lib/localstack").iterdir()] == built
        assert not list((fs / "var/lib/localstack/cache").glob("service-catalog-*.dill"))
    finally:
        second.stop()
