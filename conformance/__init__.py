"""rolecall's conformance suite: targets, the pytest plugin and the command line.

This release ships the command line (``rolecall decide``); the targets, the
properties and the pytest plugin arrive with the conformance-suite issue.
"""

__all__: list[str] = []
