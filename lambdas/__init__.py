"""The three Lambda functions. Each sub-package zips alone (boto3 + stdlib only) and imports nothing else."""
