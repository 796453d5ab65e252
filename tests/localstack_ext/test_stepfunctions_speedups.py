"""The Step Functions speed-ups change how long an execution takes, never what it does.

The wrappers are tested here without LocalStack (they are plain functions over jsonpath_ng and a client
factory); the workflow and executor integration tests run every execution through them for real.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace

import jsonpath_ng
import jsonpath_ng.ext
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "localstack_ext" / "scones_localstack"
HERE = PACKAGE / "stepfunctions"


def _load(name: str, folder: Path = HERE) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"speedups_{name}", folder / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


jsonpath_cache = _load("jsonpath_cache")
role_clients = _load("role_clients")
asl_cache = _load("asl_cache")
lambda_metrics = _load("lambda_metrics", PACKAGE)
operation_models = _load("operation_models")


def test_jsonpath_cache__same_results_one_parse_per_string() -> None:
    parse = jsonpath_cache._cached(jsonpath_ng.ext.parse)
    data = {"Payload": {"body": {"inferences": [0.2, 0.8], "s3_key": "test/a.png"}}, "items": [1, 2, 3]}
    for path in ("$.Payload.body", "$.Payload.body.inferences[1]", "$.items[?(@ > 1)]", "$"):
        expected = [m.value for m in jsonpath_ng.ext.parse(path).find(data)]
        assert [m.value for m in parse(path).find(data)] == expected
        assert [m.value for m in parse(path).find(data)] == expected  # second time from the cache
    assert parse("$.Payload.body") is parse("$.Payload.body")
    info = parse.cache_info()
    assert (info.misses, info.hits) == (4, 6)  # 4 strings parsed once; every other call a hit


def test_jsonpath_cache__a_miss_parses_with_a_parser_kept_per_thread() -> None:
    """The parser reused across paths gives the trees a new parser gives, and each thread builds its own
    (a PLY parser keeps its stacks on itself while it parses)."""
    import threading

    import jsonpath_ng.ext.parser

    built: list[int] = []

    def make() -> object:
        built.append(threading.get_ident())
        return jsonpath_ng.ext.parser.ExtendedJsonPathParser()

    parse = jsonpath_cache._cached(jsonpath_ng.ext.parse, jsonpath_cache.per_thread(make))
    data = {"a": {"b": [1, 2, 3]}, "c": "x"}
    paths = ("$.a.b", "$.a.b[?(@ > 1)]", "$.c", "$.a.b[0]", "$")
    for path in paths:
        assert [m.value for m in parse(path).find(data)] == [
            m.value for m in jsonpath_ng.ext.parse(path).find(data)
        ]
    assert len(built) == 1
    worker = threading.Thread(target=lambda: parse("$.a"))
    worker.start()
    worker.join()
    assert len(built) == 2 and built[0] != built[1]


def test_jsonpath_cache__debug_and_non_string_calls_bypass_the_cache() -> None:
    calls: list[tuple[object, ...]] = []

    def fake_parse(path: object, debug: bool = False) -> tuple[object, bool]:
        calls.append((path, debug))
        return (path, debug)

    parse = jsonpath_cache._cached(fake_parse)
    assert parse("$.a", True) == ("$.a", True)
    assert parse("$.a", True) == ("$.a", True)
    assert parse("$.a") == ("$.a", False)
    assert parse("$.a") == ("$.a", False)
    assert calls == [("$.a", True), ("$.a", True), ("$.a", False)]


def test_role_clients__one_client_per_service_region_role_until_the_ttl() -> None:
    now = [0.0]
    built: list[tuple[str, str, str]] = []

    def build(service: str, region: str, state_credentials: SimpleNamespace) -> object:
        built.append((service, region, state_credentials.role_arn))
        return object()

    factory = role_clients._cached(build, clock=lambda: now[0])
    role_a, role_b = SimpleNamespace(role_arn="arn:role/a"), SimpleNamespace(role_arn="arn:role/b")
    first = factory("lambda", "us-east-1", role_a)
    assert factory("lambda", "us-east-1", role_a) is first
    assert factory("lambda", "us-east-1", role_b) is not first  # another role: its own credentials
    assert factory("s3", "us-east-1", role_a) is not first
    assert factory("lambda", "eu-west-1", role_a) is not first
    now[0] = role_clients.TTL_SECONDS + 1  # credentials renewed well before they expire
    assert factory("lambda", "us-east-1", role_a) is not first
    assert len(built) == 5
    assert role_clients.TTL_SECONDS < 3600


def test_asl_cache__one_build_per_definition_errors_never_cached() -> None:
    parsed: list[str] = []
    prepared: list[object] = []

    def parse_tree(definition: str) -> tuple[str, ...]:
        parsed.append(definition)
        if "oops" in definition:
            raise ValueError(definition)
        return tuple(definition)

    def prepare(program: dict[str, list[str]]) -> dict[str, list[str]]:
        prepared.append(program)
        return program

    parse = asl_cache.cached_parser(
        parse_tree, build_program=lambda tree: {"states": list(tree)}, prepare=prepare, maxsize=2
    )
    program_a, tree_a = parse("ab")
    assert parse("ab") == (program_a, tree_a) and parse("ab")[0] is program_a
    assert program_a == {"states": ["a", "b"]} and prepared == [program_a]  # prepared before shared
    assert parse("cd")[1] == ("c", "d")
    for _ in range(2):  # a bad definition raises every time, like the uncached parser
        with pytest.raises(ValueError):
            parse("oops")
    parse("ef")  # a third definition evicts the least recently used one ("ab")
    parse("cd")
    parse("ab")
    assert parsed == ["ab", "cd", "oops", "oops", "ef", "ab"]


def test_asl_cache__components_walks_attributes_and_containers_once() -> None:
    class Node:
        def __init__(self, *children: object, **named: object) -> None:
            self.children = list(children)
            self.named = dict(named)

    shared = Node()
    leaf = Node()
    inner = Node(shared, "text", 3)
    root = Node(inner, (shared, leaf), by_name={"x": leaf, "y": [shared]})
    found = list(asl_cache.components(root, lambda item: isinstance(item, Node)))
    assert sorted(map(id, found)) == sorted(map(id, [root, inner, shared, leaf]))  # each once


def test_lambda_metrics__metric_recorders_go_to_the_pool_everything_else_starts_a_thread() -> None:
    started: list[tuple[object, object, dict[str, object]]] = []
    submitted: list[tuple[object, object]] = []

    def start_thread(method: object, params: object = None, **kwargs: object) -> str:
        started.append((method, params, kwargs))
        return "thread"

    pool = SimpleNamespace(submit=lambda method, params: submitted.append((method, params)) or "future")
    start = lambda_metrics.pooled(start_thread, pool)

    def record(*args: object, **kwargs: object) -> None: ...

    assert start(record, name="record-cloudwatch-metric-f:$LATEST") == "future"
    assert start(record, name="record-cloudwatch-metric-error-f:$LATEST") == "future"
    assert start(record, {"p": 1}, name="provisioning") == "thread"
    assert start(record) == "thread"
    assert submitted == [(record, None), (record, None)]
    assert started == [(record, {"p": 1}, {"name": "provisioning"}), (record, None, {})]


def test_operation_models__one_lookup_per_names_unknown_names_raise_every_time() -> None:
    looked_up: list[tuple[str, str]] = []

    def lookup(service: str, action: str) -> tuple[str, str]:
        looked_up.append((service, action))
        if action == "noSuchAction":
            raise RuntimeError(f"No api action named '{action}'")
        return (service, action.capitalize())

    find = operation_models.cached(lookup)
    assert find("lambda", "invoke") == ("lambda", "Invoke")
    assert find("lambda", "invoke") is find("lambda", "invoke")
    for _ in range(2):
        with pytest.raises(RuntimeError):
            find("lambda", "noSuchAction")
    assert looked_up == [("lambda", "invoke"), ("lambda", "noSuchAction"), ("lambda", "noSuchAction")]
