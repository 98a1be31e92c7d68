# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The resource base every API module declares itself with, and the parent finders.

A module says what its resource is (commands, options, parents); `Resource` does the rest:
find the object by name inside its parents, create it, update only what the user set and
CloudStack can change, refuse (or recreate) what it cannot, delete it, and report `changed`,
a real `diff` and the object under CloudStack's own field names. Check mode answers from the
state it read and calls nothing that changes the cloud; a parent that a check-mode run would
have created is tolerated, so a dry run of a whole new zone goes through.
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

from .api import (
    JOB_TIMEOUT,
    POLL_INTERVAL,
    REQUEST_TIMEOUT,
    ApiError,
    CloudStackClient,
    CloudStackError,
    JobTimeout,
    SessionClient,
    default_ini_path,
    read_ini,
)

CHECK_MODE_ID = "(created in check mode)"
MASK = "********"


# -- connection options ---------------------------------------------------------------------


def api_argument_spec(**module_options):
    """The connection options every module shares, plus the module's own."""
    spec = dict(
        api_url=dict(type="list", elements="str", fallback=(env_fallback, ["CLOUDSTACK_ENDPOINT"])),
        api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["CLOUDSTACK_KEY"])),
        api_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["CLOUDSTACK_SECRET"])),
        api_timeout=dict(type="int", fallback=(env_fallback, ["CLOUDSTACK_TIMEOUT"])),
        api_config=dict(type="path", fallback=(env_fallback, ["CLOUDSTACK_CONFIG"])),
        api_region=dict(type="str", default="cloudstack", fallback=(env_fallback, ["CLOUDSTACK_REGION"])),
        validate_certs=dict(type="bool", default=True),
        poll_interval=dict(type="float", default=POLL_INTERVAL),
        job_timeout=dict(type="float", default=JOB_TIMEOUT),
    )
    spec.update(module_options)
    return spec


def connection_ini(module):
    """The [api_region] section of the ini file in use ({} when there is none)."""
    params = module.params
    return read_ini(params.get("api_config") or default_ini_path(), params.get("api_region") or "cloudstack")


def connection_urls(module, ini):
    """The endpoints: the api_url option (or CLOUDSTACK_ENDPOINT), else the ini file's comma-separated list."""
    return module.params.get("api_url") or [url.strip() for url in ini.get("endpoint", "").split(",") if url.strip()]


def connect(module):
    """The client for this module run: module arguments, then the environment, then the ini file."""
    params = module.params
    ini = connection_ini(module)
    urls = connection_urls(module, ini)
    key = params.get("api_key") or ini.get("key")
    secret = params.get("api_secret") or ini.get("secret")
    missing = [name for name, value in (("api_url", urls), ("api_key", key), ("api_secret", secret)) if not value]
    if missing:
        module.fail_json(msg="missing connection settings: %s (give them as options, as CLOUDSTACK_ENDPOINT, "
                             "CLOUDSTACK_KEY, CLOUDSTACK_SECRET, or in a cloudstack.ini)" % ", ".join(missing))
    timeout = params.get("api_timeout") or int(ini.get("timeout", REQUEST_TIMEOUT))
    if params.get("poll_interval") <= 0 or params.get("job_timeout") <= 0:
        module.fail_json(msg="poll_interval and job_timeout must be positive numbers of seconds")
    return CloudStackClient(urls, key, secret, timeout=timeout, validate_certs=params["validate_certs"],
                            poll_interval=params["poll_interval"], job_timeout=params["job_timeout"])


def connect_session(module, username, password, domain):
    """A SessionClient logged in as `username` in domain `domain` (a path): no API keys needed.

    The endpoints, timeout and certificate check come from the same options, environment and ini
    file as connect(); api_key and api_secret are not used. A failed login fails the module with the
    server's text.
    """
    params = module.params
    ini = connection_ini(module)
    urls = connection_urls(module, ini)
    if not urls:
        module.fail_json(msg="missing connection settings: api_url (give it as an option, as CLOUDSTACK_ENDPOINT, "
                             "or in a cloudstack.ini)")
    if params.get("poll_interval") <= 0 or params.get("job_timeout") <= 0:
        module.fail_json(msg="poll_interval and job_timeout must be positive numbers of seconds")
    timeout = params.get("api_timeout") or int(ini.get("timeout", REQUEST_TIMEOUT))
    client = SessionClient(urls, timeout=timeout, validate_certs=params["validate_certs"],
                           poll_interval=params["poll_interval"], job_timeout=params["job_timeout"])
    relative = domain_path(domain)[len("ROOT"):].strip("/")
    try:
        client.login(username, password, "/%s/" % relative if relative else "/")
    except ApiError as exc:
        module.fail_json(msg=str(exc), **exc.details())
    except CloudStackError as exc:
        module.fail_json(msg=str(exc))
    return client


# -- finders --------------------------------------------------------------------------------


def same_name(a, b):
    """CloudStack keeps names in MySQL with a case-insensitive collation: 'Zone1' is 'zone1'."""
    return a is not None and b is not None and str(a).lower() == str(b).lower()


def find_by_name(api, list_command, name, **filters):
    """The object of a list command whose name (or id) is `name`; None when there is none."""
    if not name:
        return None
    for obj in api.list_all(list_command, dict(filters, name=name)):
        if same_name(obj.get("name"), name) or obj.get("id") == name:
            return obj
    for obj in api.list_all(list_command, dict(filters, id=name)) if looks_like_uuid(name) else []:
        return obj
    return None


def looks_like_uuid(value):
    parts = str(value).split("-")
    return len(parts) == 5 and all(part and all(c in "0123456789abcdefABCDEF" for c in part) for part in parts)


def find_zone(api, name):
    return find_by_name(api, "listZones", name)


def find_pod(api, name, zone_id):
    return find_by_name(api, "listPods", name, zoneid=zone_id)


def find_cluster(api, name, zone_id):
    return find_by_name(api, "listClusters", name, zoneid=zone_id)


def find_physical_network(api, name, zone_id):
    return find_by_name(api, "listPhysicalNetworks", name, zoneid=zone_id)


def find_network(api, name, zone_id):
    """A guest network of the zone, whatever account owns it (listall)."""
    return find_by_name(api, "listNetworks", name, zoneid=zone_id, listall=True)


def domain_path(path):
    """A domain path as CloudStack shows it: 'ROOT', '/', '' -> 'ROOT'; '/a/b', 'a/b', 'ROOT/a/b' -> 'ROOT/a/b'."""
    relative = str(path or "").strip("/")
    if relative == "ROOT" or relative.startswith("ROOT/"):
        relative = relative[len("ROOT"):].strip("/")
    return "ROOT/" + relative if relative else "ROOT"


def find_domain(api, path):
    """A domain by its path ('ROOT', 'ROOT/child' or '/child'), or by id."""
    if looks_like_uuid(path):
        found = api.list_all("listDomains", {"id": path, "listall": True})
        return found[0] if found else None
    wanted = domain_path(path)
    for domain in api.list_all("listDomains", {"listall": True}):
        if same_name(domain.get("path"), wanted):
            return domain
    return None


def find_account(api, name, domain_id):
    """An account by name (or id) within the domain with this id."""
    return find_by_name(api, "listAccounts", name, domainid=domain_id)


def ids_of(module, api, option, names, finder):
    """The ids of the objects `finder(api, name)` finds for a list option (zones, domains of an offering).

    A name that finds nothing fails the module, naming the option; in check mode it stands as
    CHECK_MODE_ID, as a parent a check-mode run would have created.
    """
    ids = []
    for name in names or []:
        found = finder(api, name)
        if found is None and not module.check_mode:
            module.fail_json(msg="%s: nothing named %r" % (option, name))
        ids.append(found["id"] if found is not None else CHECK_MODE_ID)
    return ids


# -- declarations ---------------------------------------------------------------------------


class Option:
    """How one module option maps onto the API.

    `param`: the create/update parameter; `field`: the response field compared (default the
    param); `updatable`: False when CloudStack cannot change it after creation; `create`:
    False when it is only sent to the update command; `kind`: "scalar", "list" (compared
    as a set: order never matters) or "bool"/"int" (compared by value).
    """

    def __init__(self, param, field=None, updatable=True, create=True, kind="scalar", update_param=None):
        self.param = param
        self.field = field or param
        self.updatable = updatable
        self.create = create
        self.kind = kind
        self.update_param = update_param or param


class Parent:
    """A parent the object is found within: module option `option` names it, `finder` looks it
    up, and its id goes to the create call as `param` and to list calls as `list_param`.
    With `param=None` the parent is only looked up, to find the parents that `needs` it (the
    zone of a physical network, for objects that take only the physical network's id)."""

    def __init__(self, option, finder, param, list_param=None, needs=None):
        self.option = option
        self.finder = finder
        self.param = param
        self.list_param = list_param or param
        self.needs = needs  # the parent option this parent is found within (pod within zone)


def normalize(kind, value):
    """A value in the form compared: lists as sorted string sets, numbers and booleans as values."""
    if value is None:
        return None
    if kind == "list":
        items = value if isinstance(value, (list, tuple, set)) else str(value).split(",")
        return sorted({str(item).strip() for item in items if str(item).strip()})
    if kind == "bool":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if kind == "caseless":  # fields CloudStack reads case-insensitively (networktype)
        return str(value).lower()
    if kind == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    return str(value) if not isinstance(value, str) else value


# -- the base -------------------------------------------------------------------------------


class Resource:
    """One CloudStack object managed by one module run."""

    kind = None                 # object key in create/update/list replies ("pod")
    list_key = None             # list reply key when it differs (listVlanIpRanges: "vlaniprange")
    list_command = None
    create_command = None
    update_command = None
    delete_command = None
    name_option = "name"
    name_param = "name"
    update_name = True          # the update command can rename (fix a name's case)
    options = {}                # module option -> Option
    parents = ()                # Parent declarations, outermost first
    secret_options = ()         # module options masked in the diff
    required_to_create = ()     # module options a create needs (checked before any change)
    list_filters = {}           # extra fixed filters for the list command

    def __init__(self, module, api):
        self.module = module
        self.api = api
        self.params = module.params
        self.parent_objects = {}
        self.result = {"changed": False}

    # -- reading ------------------------------------------------------------------------

    def resolve_parents(self):
        """Look every parent up; None for one a check-mode run would have created."""
        for parent in self.parents:
            value = self.params.get(parent.option)
            if value is None:
                continue
            args = [self.api, value]
            if parent.needs:
                outer = self.parent_objects.get(parent.needs)
                if outer is None or outer.get("id") == CHECK_MODE_ID:
                    self.parent_objects[parent.option] = self.pending_parent(parent, value)
                    continue
                args.append(outer["id"])
            found = parent.finder(*args)
            if found is None:
                if not self.module.check_mode:
                    self.module.fail_json(msg="%s: no %s named %r" % (parent.option, parent.option, value))
                found = self.pending_parent(parent, value)
            self.parent_objects[parent.option] = found

    def pending_parent(self, parent, value):
        if not self.module.check_mode:
            self.module.fail_json(msg="%s: no %s named %r" % (parent.option, parent.option, value))
        return {"id": CHECK_MODE_ID, "name": value}

    def parent_ids(self, for_list=False):
        ids = {}
        for parent in self.parents:
            obj = self.parent_objects.get(parent.option)
            key = parent.list_param if for_list else parent.param
            if obj is not None and key:  # a parent without param only serves to find the next one
                ids[key] = obj["id"]
        return ids

    def parents_pending(self):
        return any(obj.get("id") == CHECK_MODE_ID for obj in self.parent_objects.values())

    def find(self):
        """The existing object, found by name within its parents."""
        if self.parents_pending():
            return None
        filters = dict(self.list_filters, **self.parent_ids(for_list=True))
        name = self.params.get(self.name_option)
        for obj in self.api.list_all(self.list_command, dict(filters, **{self.name_param: name})):
            if same_name(obj.get(self.name_param if self.name_param != "name" else "name"), name):
                return obj
        return None

    # -- comparing ----------------------------------------------------------------------

    def wanted(self):
        """{option: value} of the options the user set (None means: leave as it is)."""
        return {name: self.params.get(name) for name in self.options if self.params.get(name) is not None}

    def differences(self, have):
        """{option: (have, want)} for options set by the user whose value differs."""
        diffs = {}
        for name, value in self.wanted().items():
            option = self.options[name]
            current = normalize(option.kind, self.current_value(have, option))
            desired = normalize(option.kind, value)
            if current != desired:
                diffs[name] = (current, desired)
        wanted_name = self.params.get(self.name_option)
        if self.update_name and wanted_name and have.get("name") != wanted_name:
            diffs[self.name_option] = (have.get("name"), wanted_name)
        return diffs

    def current_value(self, have, option):
        return have.get(option.field)

    def shown(self, name, value):
        return MASK if name in self.secret_options and value is not None else value

    def diff_of(self, diffs):
        before = {name: self.shown(name, pair[0]) for name, pair in diffs.items()}
        after = {name: self.shown(name, pair[1]) for name, pair in diffs.items()}
        return {"before": before, "after": after}

    # -- calling ------------------------------------------------------------------------

    def call(self, command, params):
        """A command's object: synchronous reply, or the finished job's result for async ones."""
        reply = self.api.call(command, params)
        if "jobid" in reply and set(reply) <= {"jobid", "id"}:
            reply = self.api.wait_for_job(command, reply["jobid"])
        return self.object_of(reply)

    def object_of(self, reply):
        if not isinstance(reply, dict):
            return reply
        for key in (self.kind, self.list_key):
            if key and key in reply:
                value = reply[key]
                return value[0] if isinstance(value, list) and value else value
        return reply

    def wait_for_pending_job(self, obj):
        """Attach to a job still running on this object (an earlier run timed out) before acting."""
        for job in self.api.list_all("listAsyncJobs", {"listall": True}):
            if job.get("jobstatus") == 0 and job.get("jobinstanceid") == obj.get("id"):
                self.api.wait_for_job(job.get("cmd", "job").rsplit(".", 1)[-1], job["jobid"])
                self.result["attached_job"] = job["jobid"]
                return True
        return False

    # -- states -------------------------------------------------------------------------

    def create_params(self):
        params = dict(self.parent_ids())
        params[self.name_param] = self.params.get(self.name_option)
        for name, value in self.wanted().items():
            option = self.options[name]
            if option.create:
                params[option.param] = value
        return params

    def update_params(self, have, diffs):
        params = {"id": have["id"]}
        wanted = self.wanted()
        for name in diffs:
            if name == self.name_option:
                params["name"] = self.params.get(self.name_option)
            else:
                params[self.options[name].update_param] = wanted[name]
        return params

    def would_create(self):
        """The object a create would make, as check mode reports it."""
        obj = {"id": CHECK_MODE_ID, "name": self.params.get(self.name_option)}
        for name, value in self.wanted().items():
            obj[self.options[name].field] = value
        for parent in self.parents:
            if parent.option in self.parent_objects and parent.param:
                obj[parent.param] = self.parent_objects[parent.option]["id"]
        return obj

    def present(self):
        self.resolve_parents()
        have = self.find()
        if have is None:
            return self.create()
        return self.update(have)

    def create(self):
        missing = [name for name in self.required_to_create if self.params.get(name) is None]
        if missing:
            self.module.fail_json(msg="%s %r does not exist; to create it, set %s" % (
                self.kind, self.params.get(self.name_option), ", ".join(missing)))
        self.result["changed"] = True
        after = {name: self.shown(name, value) for name, value in self.wanted().items()}
        after[self.name_option] = self.params.get(self.name_option)
        self.result["diff"] = {"before": {}, "after": after}
        if self.module.check_mode:
            return self.would_create()
        return self.after_create(self.call(self.create_command, self.create_params()))

    def after_create(self, obj):
        """A hook for resources that need a second call after creation (enable an offering)."""
        return obj

    def update(self, have):
        diffs = self.differences(have)
        if diffs and not self.module.check_mode and self.wait_for_pending_job(have):
            # An earlier run's job on this object has just finished: judge what is left from
            # the object as it is now, rather than sending the same change a second time.
            have = self.find() or have
            diffs = self.differences(have)
            self.result["changed"] = True
        frozen = {name: d for name, d in diffs.items()
                  if name != self.name_option and not self.options[name].updatable}
        if frozen:
            self.refuse_frozen(have, frozen)
        self.result["diff"] = self.diff_of(diffs)
        if not diffs:
            return have
        self.result["changed"] = True
        if self.module.check_mode:
            merged = dict(have)
            for name, (_old, new) in diffs.items():
                field = "name" if name == self.name_option else self.options[name].field
                merged[field] = new
            return merged
        return self.call(self.update_command, self.update_params(have, diffs))

    def refuse_frozen(self, have, frozen):
        changes = ", ".join("%s (is %r, wanted %r)" % (name, old, new) for name, (old, new) in sorted(frozen.items()))
        self.module.fail_json(msg="%s %r: CloudStack cannot change %s after creation; delete and recreate it to "
                                  "change that" % (self.kind, have.get("name"), changes))

    def absent(self):
        self.resolve_parents()
        have = self.find()
        if have is None:
            self.result["diff"] = {"before": {}, "after": {}}
            return None
        self.result["changed"] = True
        self.result["diff"] = {"before": {"name": have.get("name"), "id": have.get("id")}, "after": {}}
        if not self.module.check_mode:
            self.wait_for_pending_job(have)
            self.delete(have)
        return have

    def delete(self, have):
        self.call(self.delete_command, {"id": have["id"]})

    # -- running ------------------------------------------------------------------------

    def states(self):
        return {"present": self.present, "absent": self.absent}

    def run(self):
        state = self.params.get("state") or "present"
        try:
            obj = self.states()[state]()
        except JobTimeout as exc:
            self.module.fail_json(msg=str(exc), jobid=exc.jobid, command=exc.command)
        except ApiError as exc:
            self.module.fail_json(msg=str(exc), **exc.details())
        except CloudStackError as exc:
            self.module.fail_json(msg=str(exc))
        if obj is not None:
            self.result[self.kind] = obj
        self.result["api_calls"] = dict(self.api.calls)
        self.module.exit_json(**self.result)


def run_resource(module, resource_class):
    """Build the client and run the module's resource: the whole of a module's main()."""
    resource_class(module, connect(module)).run()
