"""Stand-in SageMaker endpoint: ONNX Runtime behind the InvokeEndpoint wire API and the BYOC contract."""
