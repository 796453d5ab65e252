"""The Logs runtime hook, registered through plux (`localstack.hooks.on_runtime_create`); it imports nothing
of LocalStack's logs provider itself (see provider_patch.when_imported)."""

from __future__ import annotations

from localstack.runtime import hooks


@hooks.on_runtime_create()
def filter_patterns() -> None:
    """FilterLogEvents, subscription and metric filters apply their filter pattern (see filter_pattern)."""
    from scones_localstack.logs.provider_patch import install

    install()
