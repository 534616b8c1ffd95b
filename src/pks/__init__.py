"""pks — production and capacity control for healthcare (produktions- och kapacitetsstyrning)."""

__version__ = "0.1.0"
