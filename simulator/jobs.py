"""The async job model: a command is queued, answers `{jobid}`, and finishes later.

Jobs are rows of `sim_job`. A job becomes due `job_delay` seconds after it was queued (never,
when a fault says it hangs); the first request that comes after that finishes it, running
the command's handler then, so the effect appears when the job completes, as on the real
server. Timed state changes (host Connecting -> Up, system VMs Starting -> Running) are
applied the same way. A process claims a job with a conditional UPDATE, so several
simulators on one database never finish a job twice.
"""

from __future__ import annotations

import logging
from typing import Any

from . import envelopes
from .errors import INTERNAL_ERROR, ApiError
from .registry import Context, Handler, SimConfig, cs_date, management_server_id, reconcilers, render
from .store import Store, new_uuid

log = logging.getLogger(__name__)

IN_PROGRESS, SUCCEEDED, FAILED = 0, 1, 2


def submit(ctx: Context, handler: Handler, params: dict, fault: dict | None) -> dict:
    """Queue the command; run a BaseAsyncCreateCmd's create phase at once. Returns the reply."""
    cmd = handler.command
    object_id = handler.create(ctx, params) if handler.create else None
    hangs = bool(fault and fault.get("jobresult") == "hang")
    job = {
        "uuid": new_uuid(),
        "command": cmd.name,
        "params": {**params, **({"id": object_id} if object_id and "id" not in params else {})},
        "userid": ctx.user["id"],
        "instance_type": handler.instance_type,
        "instance_id": object_id or params.get("id"),
        "created": ctx.now,
        "ready_at": None if hangs else ctx.now + job_delay(ctx, fault),
        "failure": fault if fault and fault.get("jobresult") == "fail" else None,
    }
    ctx.store.insert_job(job)
    return envelopes.async_response(cmd.wrapper, job["uuid"], object_id)


def job_delay(ctx: Context, fault: dict | None) -> float:
    """How long the job stays pending: the process's --job-delay, or a fault's jobdelay."""
    if fault and fault.get("jobdelay") is not None:
        return fault["jobdelay"]
    return ctx.config.job_delay


def tick(store: Store, config: SimConfig, now: float, handlers: dict[str, Handler]) -> None:
    """Finish the jobs and apply the timed changes that are due. Runs in the caller's transaction."""
    changed = False
    for timer in store.take_due_timers(now):
        obj = store.get(timer["kind"], timer["uuid"])
        if obj is None:
            continue
        expect = timer["expect"] or {}
        if all(obj.get(key) == value for key, value in expect.items()):
            obj.update(timer["changes"])
            store.update(timer["kind"], obj)
            changed = True
    for job in store.due_jobs(now):
        if store.claim_job(job["uuid"], now):
            finish(store, config, now, job, handlers[job["command"]])
            changed = True
    if changed:
        run_reconcilers(store, config, now)


def finish(store: Store, config: SimConfig, now: float, job: dict, handler: Handler) -> None:
    """Run the job's command and store its result (or its failure) on the job row."""
    user = store.get("user", job["userid"])
    account = store.get("account", user["accountid"]) if user else None
    ctx = Context(store=store, config=config, now=now, user=user or {}, account=account or {},
                  command=handler.command)
    failure = job["failure"]
    if failure:
        code = failure.get("errorcode") or INTERNAL_ERROR
        text = failure.get("errortext") or f"Simulated failure of {handler.command.name}"
        store.finish_job(job["uuid"], FAILED, code, "object", {"errorcode": code, "errortext": text}, now)
        return
    store.execute("SAVEPOINT job_run")
    try:
        result = handler.func(ctx, job["params"])
    except ApiError as exc:
        store.execute("ROLLBACK TO SAVEPOINT job_run")
        store.finish_job(job["uuid"], FAILED, exc.errorcode, "object",
                         {"errorcode": exc.errorcode, "errortext": exc.errortext}, now)
        return
    except Exception:  # a simulator bug must fail the job, not the request that happened to finish it
        log.exception("job %s (%s) failed inside the simulator", job["uuid"], handler.command.name)
        store.execute("ROLLBACK TO SAVEPOINT job_run")
        text = f"Internal error executing command {handler.command.name}"
        store.finish_job(job["uuid"], FAILED, INTERNAL_ERROR, "object",
                         {"errorcode": INTERNAL_ERROR, "errortext": text}, now)
        return
    store.execute("RELEASE SAVEPOINT job_run")
    body, instance_id = job_result(ctx, handler, result)
    store.finish_job(job["uuid"], SUCCEEDED, 0, "object", body, now, instance_id)


def job_result(ctx: Context, handler: Handler, result: Any) -> tuple[dict, str | None]:
    """`{objectName: {...}}` or `{success: true}`: what queryAsyncJobResult carries as jobresult."""
    cmd = handler.command
    if cmd.response_kind == "success" or result is None:
        return {"success": True}, None
    obj = render(ctx, result, cmd.response_fields)
    return {cmd.object_name: obj}, obj.get("id")


def run_reconcilers(store: Store, config: SimConfig, now: float) -> None:
    ctx = Context(store=store, config=config, now=now, user={}, account={})
    for reconcile in reconcilers():
        reconcile(ctx)


def job_view(store: Store, job: dict, config: SimConfig, handlers: dict[str, Handler]) -> dict:
    """The AsyncJobResponse fields, in the real order, nulls left out."""
    user = store.get("user", job["userid"]) or {}
    account = store.get("account", user.get("accountid")) or {}
    handler = handlers.get(job["command"])
    view: dict[str, Any] = {
        "accountid": account.get("id"),
        "account": account.get("name"),
        "domainid": account.get("domainid"),
        "domainpath": "ROOT",
        "userid": user.get("id"),
        "cmd": handler.command.java_class if handler else job["command"],
        "jobprocstatus": 0,
        "jobresultcode": job["resultcode"] or 0,
        "jobresulttype": job["resulttype"],
        "jobresult": job["result"],
        "jobinstancetype": job["instance_type"] if job["instance_id"] else None,
        "jobinstanceid": job["instance_id"] if job["instance_type"] else None,
        "managementserverid": management_server_id(config.msid),
        "created": cs_date(job["created"]),
        "completed": cs_date(job["completed"]) if job["status"] != IN_PROGRESS and job["completed"] else None,
        "jobid": job["uuid"],
        "jobstatus": job["status"],
    }
    return {key: value for key, value in view.items() if value is not None}
