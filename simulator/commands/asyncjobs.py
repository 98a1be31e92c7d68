"""queryAsyncJobResult and listAsyncJobs (AsyncJobResponse, flat)."""

from __future__ import annotations

from flask import current_app

from ..errors import invalid_parameter
from ..jobs import job_view
from ..registry import Context, command, management_server_id


@command("queryAsyncJobResult")
def query_async_job_result(ctx: Context, p: dict) -> dict:
    job = ctx.store.get_job(p["jobid"])
    if job is None:
        raise invalid_parameter(f"Unable to find a job by id {p['jobid']}")
    if ctx.account.get("accounttype") != 1 and job["userid"] != ctx.user.get("id"):
        raise invalid_parameter(f"Unable to find a job by id {p['jobid']}")
    return job_view(ctx.store, job, ctx.config, current_app.config["HANDLERS"])


@command("listAsyncJobs")
def list_async_jobs(ctx: Context, p: dict) -> list[dict]:
    jobs = ctx.store.list_jobs()
    if ctx.account.get("accounttype") != 1 or not p.get("listall"):
        jobs = [job for job in jobs if job["userid"] == ctx.user.get("id")]
    if p.get("managementserverid"):
        jobs = [job for job in jobs if p["managementserverid"] == management_server_id(ctx.config.msid)]
    views = [job_view(ctx.store, job, ctx.config, current_app.config["HANDLERS"]) for job in jobs]
    if p.get("startdate"):
        views = [view for view in views if view["created"] >= p["startdate"][:19]]
    return views
