"""A Lambda module that raises while it is imported: errorType is the exception's class name."""


class ConfigMissingError(Exception):
    pass


raise ConfigMissingError("THRESHOLD is not set")


def handler(event, context):
    return "unreachable"
