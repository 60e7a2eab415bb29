"""The push overview: one admin page answering "is push healthy?" (stats, charts, view)."""
