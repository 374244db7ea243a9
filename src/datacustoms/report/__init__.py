"""Renderers of the shared results (text, JSON, HTML, Markdown), chosen through ``registry``."""
