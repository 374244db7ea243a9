"""Reports: the model and its renderings (text, JSON, HTML)."""
