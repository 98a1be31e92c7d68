"""The self-service job service: runs catalog entries (playbooks) on server-side environments over HTTP.

`python -m web serve|worker|token|migrate|environment|audit`; `create_app(test_config)` for tests.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import db
from .auth import has_active_token
from .config import DEFAULTS, ServiceConfig, check_secret_key, load_config
from .exceptions import ConfigurationError


def create_app(test_config: Mapping[str, Any] | None = None, config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app (the JSON API and the pages): `config` (from load_config) or the defaults, then
    `test_config` on top.

    Outside TESTING it refuses to start without a real SECRET_KEY and at least one API token.
    The store's schema is brought up to date and the configured environments are registered.
    """
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.update(config if config is not None else load_config())
    if test_config is not None:
        app.config.update(test_config)
    service = ServiceConfig.from_config(app.config)
    app.extensions["acsible"] = service
    app.extensions["acsible_streams"] = threading.BoundedSemaphore(int(app.config["MAX_STREAMS"]))
    if not app.testing:
        check_secret_key(app.config.get("SECRET_KEY"))
    _prepare_store(app, service)

    db.init_app(app)
    from . import api, errors, ui

    app.register_blueprint(errors.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ui.bp)
    return app


def _prepare_store(app: Flask, service: ServiceConfig) -> None:
    store = db.open_store(service.store_url)
    try:
        store.migrate()
        store.sync_environments(list(service.environments))
        if not app.testing and not has_active_token(store):
            raise ConfigurationError("no API token: create one with "
                                     "`python -m web token create --role admin --name NAME`")
    finally:
        store.close()


__all__ = ["create_app"]
