"""CloudWatch Logs: filter patterns (FilterLogEvents, subscription and metric filters) as AWS documents
them."""
