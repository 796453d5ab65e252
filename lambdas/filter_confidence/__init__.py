"""Filter low confidence: pass the body on when the top probability reaches ``THRESHOLD``, else raise."""
