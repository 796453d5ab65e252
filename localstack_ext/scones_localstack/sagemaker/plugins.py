"""LocalStack provider entry points for ``sagemaker`` and ``sagemaker-runtime``.

Why so thin: plux imports every module named by a ``localstack.aws.provider`` entry point just to read its
specs, so this module imports only the decorator; moto, requests and our providers load on first use.
"""

from __future__ import annotations

from typing import Any

from localstack.services.plugins import aws_provider


@aws_provider(api="sagemaker")
def sagemaker() -> Any:
    from localstack.services.plugins import Service

    from .control import SageMakerControlPlane, dispatch_table, relax_instance_types

    relax_instance_types()
    provider = SageMakerControlPlane()
    return Service.for_provider(provider, dispatch_table_factory=dispatch_table)


@aws_provider(api="sagemaker-runtime")
def sagemaker_runtime() -> Any:
    from localstack.services.plugins import Service

    from .runtime import SageMakerRuntime

    provider = SageMakerRuntime()
    return Service.for_provider(
        provider,
        dispatch_table_factory=lambda p: {
            "InvokeEndpoint": p.invoke_endpoint,
            "InvokeEndpointWithResponseStream": p.invoke_endpoint_with_response_stream,
        },
    )
