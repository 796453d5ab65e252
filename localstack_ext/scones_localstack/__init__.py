"""scones' extensions to LocalStack, loaded by LocalStack's plugin manager inside its own venv.

Each extension is a subpackage with a cheap-to-import plugin module (plux imports every entry point
to resolve specs) and its heavy code imported lazily:

- ``lambda_executor``: runs Python Lambda handlers as host processes (``LAMBDA_RUNTIME_EXECUTOR=process``).
- ``sagemaker``: SageMaker control plane on moto's backend and an InvokeEndpoint passthrough.
- ``hooks``: runtime hooks that make LocalStack cheaper per request without changing what it does:
  ``stepfunctions`` (definition and JSONPath parsing once, Task clients per role), ``in_memory_clients``
  (header-only signatures on in-process internal calls) and ``lambda_metrics`` (pooled metric threads).

Nothing here imports the scones harness: this package runs in LocalStack's interpreter.
"""
