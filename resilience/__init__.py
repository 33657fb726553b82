"""resilience: the registry of a city's underground infrastructure and its risks."""

__version__ = "0.1.0"
