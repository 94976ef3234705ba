"""Public Hypothesis strategies for AssumeRole worlds (accounts, principals, policies, scenarios).

The strategies arrive with the strategies issue; the package exists so that the
distribution's layout is fixed from the start.
"""

__all__: list[str] = []
