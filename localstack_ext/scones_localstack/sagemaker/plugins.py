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
    # for_provider calls the factory with this same provider, typed as any ServiceProvider: close over ours.
    return Service.for_provider(provider, dispatch_table_factory=lambda _: dispatch_table(provider))


@aws_provider(api="sagemaker-runtime")
def sagemaker_runtime() -> Any:
    from localstack.services.plugins import Service

    from .runtime import SageMakerRuntime

    provider = SageMakerRuntime()
    return Service.for_provider(
        provider,
        dispatch_table_factory=lambda _: {
            "InvokeEndpoint": provider.invoke_endpoint,
            "InvokeEndpointWithResponseStream": provider.invoke_endpoint_with_response_stream,
        },
    )
