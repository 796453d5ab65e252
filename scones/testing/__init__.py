"""What users test their workflow with: the pytest plugin (fixtures for a local stack and the deployed
workflow), the tiny model, and the TestState and mocked-case helpers."""
