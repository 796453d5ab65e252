"""`scones evaluate`: the test split through the deployed workflow, checked against offline evaluation."""

from scones.evaluation.evaluate import EvaluationReport, evaluate_workflow
from scones.evaluation.metrics import Metrics, compare, metrics_of

__all__ = ["EvaluationReport", "Metrics", "compare", "evaluate_workflow", "metrics_of"]
