"""Serialize image data: read an S3 object and return it base64-encoded for the next step."""
