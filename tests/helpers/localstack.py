"""Real LocalStack stacks for tests: the handle and starter live in ``scones.testing.stack`` (the pytest
plugin ships them; tests/conftest.py's ``localstack`` fixture is the plugin's ``scones_stack``)."""

from scones.testing.stack import LocalStackHandle, start_stack

__all__ = ["LocalStackHandle", "start_stack"]
