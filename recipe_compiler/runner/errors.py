"""The one failure type of the runner."""


class RunError(RuntimeError):
    """The run cannot start or go on (a bad recipe, model or checkpoint); the message
    says why and what to do."""
