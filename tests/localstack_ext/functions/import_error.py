"""A Lambda module whose import fails: the runtime must answer Runtime.ImportModuleError."""

import not_a_module  # noqa: F401


def handler(event, context):
    return "unreachable"
