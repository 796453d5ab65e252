"""Throwaway model containers for test_sagemaker_stack.py, started by the SageMaker extension as programs.

Each module is a program (``python -m tests.localstack_ext.standins.<name>``; the extension starts a
stand-in with the project root as its working directory) that serves the BYOC contract on
``SCONES_ENDPOINT_PORT`` with behaviour the real ``local_endpoint`` has no way to show: ``slow`` answers
after ``SLOW_SECONDS``, ``streaming`` answers ``/invocations-response-stream`` in paced event-stream
frames. Stdlib only, as a container would be: they share nothing with the harness.
"""
