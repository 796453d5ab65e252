"""Click commands, one module per area; each exports ``commands`` (thin: parse options, call the library)."""
