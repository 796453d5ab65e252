"""scones' extensions to LocalStack, loaded by LocalStack's plugin manager inside its own venv.

Each extension is a subpackage with a cheap-to-import plugin module (plux imports every entry point
to resolve specs) and its heavy code imported lazily:

- ``lambda_executor``: runs Python Lambda handlers as host processes (``LAMBDA_RUNTIME_EXECUTOR=process``).
- ``sagemaker``: SageMaker control plane on moto's backend and an InvokeEndpoint passthrough.
- ``stepfunctions``: runtime hooks that make LocalStack's Step Functions interpreter cheaper per
  execution (definition and JSONPath parsing once, Task clients per role), and ``in_memory_signing``:
  header-only signatures on in-process internal calls.

Nothing here imports the scones harness: this package runs in LocalStack's interpreter.
"""
