"""The job service's exceptions: one base, a class per kind of failure callers handle differently."""

from __future__ import annotations


class WebError(Exception):
    """Base of everything the job service raises on purpose."""


class ConfigurationError(WebError):
    """The configuration, catalog or an environment is unusable; the service refuses to start."""


class StoreError(WebError):
    """The job store cannot be reached or is not in a state this code can use."""


class IdempotencyConflict(WebError):
    """An Idempotency-Key was used before with another request body."""

    def __init__(self, job_id: str):
        super().__init__(f"the Idempotency-Key was used for job {job_id} with another request")
        self.job_id = job_id
