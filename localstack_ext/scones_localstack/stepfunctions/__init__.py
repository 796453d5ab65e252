"""Step Functions speed-ups for LocalStack's ASL interpreter, applied as runtime hooks
(``scones_localstack.hooks``).

None changes what an execution does, only how long it takes: each definition's program is built once
(``asl_cache``), JSONPath expressions are parsed once (``jsonpath_cache``), each Task's botocore
operation model is looked up once (``operation_models``), and Task clients for a role are reused
instead of re-assuming the role per task (``role_clients``). ``rebind`` makes each patch
reach the modules that imported the patched name, whatever order the hooks run in.
"""
