"""Fault injection, admin only: the simulator's counterpart of CloudStack's configureSimulator.

`configureSimulatorFault name=X [count=N] [errorcode=C errortext=T cserrorcode=S]
[latency=SECONDS] [jobresult=fail|hang]` makes the next N calls of X fail with that error,
wait that long first, or (async commands) queue a job that fails or never finishes.
`count=-1` lasts until `clearSimulatorFaults [name=X]`. The command is given as `name`, as
CloudStack's own configureSimulator names agent commands: `command` is the API's own parameter.
"""

from __future__ import annotations

from ..errors import invalid_parameter
from ..registry import Context, command, extra_command
from ..spec import Command, Param

JOB_RESULTS = ("fail", "hang")


def _simulator_command(name: str, description: str, kind: str, wrapper: str, object_name: str | None,
                       params: list[Param], fields: tuple[str, ...]) -> Command:
    raw = {"class": f"simulator/{name}", "params": {p.name: {"type": p.type, "required": p.required,
                                                               "description": p.description} for p in params},
           "description": description}
    return extra_command(Command(
        name=name, is_async=False, is_async_create=False, description=description,
        java_class=f"org.apache.cloudstack.api.command.admin.simulator.{name[0].upper()}{name[1:]}Cmd",
        params={p.name: p for p in params}, response_kind=kind, wrapper=wrapper, object_name=object_name,
        response_fields=fields, since="acsible", raw=raw,
    ))


FAULT_FIELDS = ("name", "remaining", "errorcode", "cserrorcode", "errortext", "latency", "jobresult", "jobdelay")

_simulator_command(
    "configureSimulatorFault", "Makes the next calls of a command fail, wait, or leave their job failed or pending",
    "object", "configuresimulatorfaultresponse", "simulatorfault",
    [Param("name", "string", True, "the API command to affect"),
     Param("count", "integer", False, "how many calls (default 1; -1 until cleared)"),
     Param("errorcode", "integer", False, "HTTP status and errorcode of the failure"),
     Param("cserrorcode", "integer", False, "cserrorcode of the failure"),
     Param("errortext", "string", False, "errortext of the failure", length=4096),
     Param("latency", "double", False, "seconds to wait before answering"),
     Param("jobresult", "string", False, "async commands: fail (the job fails) or hang (the job never finishes)"),
     Param("jobdelay", "double", False, "async commands: seconds the job stays pending (instead of --job-delay)")],
    FAULT_FIELDS,
)
_simulator_command(
    "clearSimulatorFaults", "Removes injected faults (all, or those of one command)", "success",
    "clearsimulatorfaultsresponse", None, [Param("name", "string", False, "the API command")], (),
)
_simulator_command(
    "listSimulatorFaults", "Lists the injected faults still in force", "list", "listsimulatorfaultsresponse",
    "simulatorfault", [], FAULT_FIELDS,
)


@command("configureSimulatorFault", admin_only=True)
def configure_fault(ctx: Context, p: dict) -> dict:
    count = p.get("count", 1)
    if count == 0 or count < -1:
        raise invalid_parameter(f"count: {count} must be a positive number of calls, or -1 for until cleared")
    jobresult = p.get("jobresult")
    if jobresult is not None and jobresult not in JOB_RESULTS:
        raise invalid_parameter(f"jobresult: {jobresult!r} must be one of {', '.join(JOB_RESULTS)}")
    errorcode = p.get("errorcode")
    if errorcode is not None and not 400 <= errorcode <= 599:
        raise invalid_parameter(f"errorcode: {errorcode} must be an HTTP error status (400-599)")
    if errorcode is None and jobresult is None and not p.get("latency") and p.get("jobdelay") is None:
        raise invalid_parameter("configureSimulatorFault needs errorcode, jobresult, jobdelay or latency")
    if p.get("jobdelay") is not None and p["jobdelay"] < 0:
        raise invalid_parameter(f"jobdelay: {p['jobdelay']} must not be negative")
    latency = p.get("latency", 0.0)
    if latency < 0:
        raise invalid_parameter(f"latency: {latency} must not be negative")
    fault = {"command": p["name"], "remaining": count, "errorcode": errorcode,
             "cserrorcode": p.get("cserrorcode"), "errortext": p.get("errortext"), "latency": latency,
             "jobresult": jobresult, "jobdelay": p.get("jobdelay")}
    ctx.store.add_fault(fault)
    return fault_view(fault)


@command("clearSimulatorFaults", admin_only=True)
def clear_faults(ctx: Context, p: dict) -> None:
    ctx.store.clear_faults(p.get("name"))


@command("listSimulatorFaults", admin_only=True)
def list_faults(ctx: Context, p: dict) -> list[dict]:
    return [fault_view(fault) for fault in ctx.store.list_faults()]


def fault_view(fault: dict) -> dict:
    """A fault as the API shows it: the command it affects under `name`."""
    view = {key: value for key, value in fault.items() if key != "command"}
    return {"name": fault["command"], **view}
