"""The ``resilience`` command's groups, one module each, so no module holds the whole CLI.

``console.cli`` lists them and imports each only when its command is asked for.
"""
