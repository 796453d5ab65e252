"""scones: run the Scones Unlimited ML workflow offline, and deploy the same code to AWS."""

__version__ = "0.1.0"
