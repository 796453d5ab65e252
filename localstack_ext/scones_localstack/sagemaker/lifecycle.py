"""Endpoint lifecycle on top of moto's records: create, blue/green update, delete, and the supervisor.

Why here and not in moto: moto marks an endpoint InService at once and has no UpdateEndpoint. We keep moto as
the only store of endpoint records and drive their ``endpoint_status`` / ``failure_reason`` from the real
state of the stand-in processes, in background threads so the API calls return at once as on AWS.

Conventions (documented in docs/sagemaker-in-localstack.md):
- Creating -> InService once the stand-in answers /ping, or Failed with the reason.
- Updating -> InService once the new stand-in is healthy and has replaced the old one; if the new one fails,
  the old one keeps serving, the status returns to InService and FailureReason says why (as AWS does).
- A stand-in that dies while InService: SystemUpdating while the supervisor restarts it, then InService with
  FailureReason "... restarted automatically (N restarts so far)"; after SCONES_ENDPOINT_MAX_RESTARTS, Failed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import model_role, processes
from .processes import REGISTRY, Key, Standin, StandinSpec, StandinStartupFailed
from .settings import Settings
from .spares import Spares

LOG = logging.getLogger(__name__)
SUPERVISOR_INTERVAL = 0.2


class DeploymentSpecError(Exception):
    """The endpoint's config or model cannot be turned into a stand-in (message is AWS-style)."""


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")  # moto's own timestamp format


def backend(account_id: str, region: str) -> Any:
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[account_id][region]


def find_endpoint(key: Key) -> Any | None:
    account_id, region, name = key
    return backend(account_id, region).endpoints.get(name)


def resolve_spec(key: Key, config_name: str, settings: Settings) -> StandinSpec:
    """Turn an endpoint config (first production variant) into what one stand-in serves."""
    account_id, region, name = key
    be = backend(account_id, region)
    config = be.endpoint_configs.get(config_name)
    if config is None:
        arn = f"arn:aws:sagemaker:{region}:{account_id}:endpoint-config/{config_name}"
        raise DeploymentSpecError(f'Could not find endpoint configuration "{arn}".')
    if not config.production_variants:
        raise DeploymentSpecError(f"Endpoint config {config_name} has no production variants.")
    variant = config.production_variants[0]
    model = be._models.get(variant.get("ModelName"))
    if model is None:
        arn = f"arn:aws:sagemaker:{region}:{account_id}:model/{variant.get('ModelName')}"
        raise DeploymentSpecError(f'Could not find model "{arn}".')
    container = model.primary_container or (model.containers[0] if model.containers else {})
    url = (container or {}).get("ModelDataUrl")
    if not url:
        raise DeploymentSpecError(f"Model {model.model_name} has no ModelDataUrl (a model.tar.gz in S3).")
    timeout = variant.get("ContainerStartupHealthCheckTimeoutInSeconds") or settings.startup_timeout
    return StandinSpec(
        account_id=account_id,
        region=region,
        endpoint_name=name,
        variant_name=variant.get("VariantName") or "AllTraffic",
        model_data_url=url,
        data_capture_config=config.data_capture_config or None,
        container_env=dict(container.get("Environment") or {}),
        startup_timeout=float(timeout),
        role_arn=str(getattr(model, "execution_role_arn", "") or ""),
    )


class EndpointLifecycle:
    def __init__(self, settings: Settings, gateway_url: str) -> None:
        self.settings = settings
        self.gateway_url = gateway_url
        self.registry = REGISTRY
        self.spares = Spares(settings)
        self.spares.fill_soon()
        from localstack.runtime.shutdown import SHUTDOWN_HANDLERS

        SHUTDOWN_HANDLERS.register(self.spares.close)  # also when SageMaker was never called
        self._stop = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, name="scones-sagemaker-supervisor")
        self._supervisor.daemon = True
        self._supervisor.start()

    # -- status updates on moto's record, skipped when the endpoint is gone meanwhile ----------------
    def _set_status(self, key: Key, status: str, reason: str | None, **attrs: Any) -> None:
        endpoint = find_endpoint(key)
        entry = self.registry.entry(key)
        if endpoint is None or entry is None or entry.deleted:
            return
        for attr, value in attrs.items():
            setattr(endpoint, attr, value)
        endpoint.endpoint_status = status
        endpoint.failure_reason = reason
        endpoint.last_modified_time = _now()

    # -- create / update / restart share one deploy routine ----------------------------------------
    def start_create(self, key: Key) -> None:
        endpoint = find_endpoint(key)
        assert endpoint is not None
        endpoint.endpoint_status = "Creating"
        endpoint.failure_reason = None
        entry = self.registry.ensure(key)
        entry.busy = True
        try:
            spec = resolve_spec(key, endpoint.endpoint_config_name, self.settings)
        except DeploymentSpecError as exc:
            entry.busy = False
            self._set_status(key, "Failed", str(exc))
            return

        def ok() -> None:
            self._set_status(key, "InService", None)

        def failed(reason: str) -> None:
            self._set_status(key, "Failed", reason)

        self._spawn(key, spec, ok, failed)

    def start_update(self, key: Key, config_name: str) -> None:
        """Validate synchronously (errors reach the caller), then deploy blue/green in the background."""
        spec = resolve_spec(key, config_name, self.settings)
        config = backend(key[0], key[1]).endpoint_configs[config_name]
        endpoint = find_endpoint(key)
        assert endpoint is not None
        entry = self.registry.ensure(key)
        entry.busy = True
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = _now()

        def ok() -> None:
            self._set_status(
                key,
                "InService",
                None,
                endpoint_config_name=config_name,
                production_variants=endpoint._process_production_variants(config.production_variants),
                data_capture_config=config.data_capture_config,
            )

        def failed(reason: str) -> None:
            self._set_status(key, "InService", f"Update to endpoint config {config_name} failed: {reason}")

        self._spawn(key, spec, ok, failed)

    def _spawn(
        self, key: Key, spec: StandinSpec, ok: Callable[[], None], failed: Callable[[str], None]
    ) -> None:
        thread = threading.Thread(
            target=self._deploy, args=(key, spec, ok, failed), name=f"scones-deploy-{key[2]}", daemon=True
        )
        thread.start()

    def _deploy(
        self, key: Key, spec: StandinSpec, ok: Callable[[], None], failed: Callable[[str], None]
    ) -> None:
        entry = self.registry.ensure(key)
        try:
            credentials = _role_credentials(spec)
        except model_role.ModelRoleFailure as exc:
            with self.registry.lock:
                entry.busy = False
            failed(str(exc))
            self.registry.notify()
            return
        try:
            standin = processes.launch(spec, self.gateway_url, self.settings, credentials, self.spares.take())
        except OSError as exc:
            with self.registry.lock:
                entry.busy = False
            failed(f"could not start the stand-in process {self.settings.endpoint_cmd[0]}: {exc}")
            self.registry.notify()
            return
        with self.registry.lock:
            entry.pending = standin
            deleted = entry.deleted
        if deleted:
            processes.stop(standin)
            return
        try:
            processes.wait_healthy(standin, spec.startup_timeout)
        except StandinStartupFailed as exc:
            self.spares.fill_soon()
            processes.stop(standin)
            with self.registry.lock:
                entry.pending = None
                entry.busy = False
            failed(str(exc))
            self.registry.notify()
            return
        with self.registry.lock:
            if entry.deleted:
                old: Standin | None = standin
            else:
                old, entry.active, entry.pending = entry.active, standin, None
        self.registry.notify()  # invokes waiting for a new process go now
        self.spares.fill_soon()  # the next endpoint's spare, now that this one no longer needs the core
        if old is not None:
            processes.stop(old)  # the old one finishes in-flight requests on SIGTERM
        if old is standin:
            return
        with self.registry.lock:
            ok()
            entry.busy = False
        self.registry.notify()

    # -- delete / stop ---------------------------------------------------------------------------
    def delete(self, key: Key) -> None:
        entry = self.registry.remove(key)
        if entry is not None:
            _stop_many([s for s in (entry.active, entry.pending) if s is not None])

    def stop_all(self) -> None:
        self._stop.set()
        self.spares.close()
        standins: list[Standin] = []
        for key, _ in self.registry.items():
            entry = self.registry.remove(key)
            if entry is not None:
                standins += [s for s in (entry.active, entry.pending) if s is not None]
        _stop_many(standins)

    # -- supervisor ------------------------------------------------------------------------------
    def check(self, key: Key) -> None:
        """Handle a dead serving process of one endpoint now (also called by the runtime on refusal)."""
        with self.registry.lock:
            entry = self.registry.entry(key)
            if entry is None or entry.busy or entry.deleted or entry.active is None or entry.active.alive:
                return
            dead = entry.active
            code = dead.proc.returncode
            if find_endpoint(key) is None:  # state was reset under us
                self.registry.remove(key)
                processes.stop(dead, grace=0)
                return
            if entry.restarts >= self.settings.max_restarts:
                entry.active = None
                processes.stop(dead, grace=0)  # already dead: this releases its TMPDIR
                self._set_status(
                    key,
                    "Failed",
                    f"stand-in process exited with code {code} while in service; "
                    f"not restarted again after {entry.restarts} restarts",
                )
                self.registry.notify()
                return
            entry.restarts += 1
            entry.busy = True
            restarts = entry.restarts
            LOG.warning("stand-in for %s exited with code %s; restart %d", key, code, restarts)
            self._set_status(key, "SystemUpdating", f"stand-in process exited with code {code}; restarting")
        processes.stop(dead, grace=0)  # already dead: this releases its TMPDIR (a SIGKILL left the model)
        stamp = datetime.now().strftime("%Y-%m-%dT%H:%M:%S")

        def ok() -> None:
            self._set_status(
                key,
                "InService",
                f"stand-in process exited with code {code} at {stamp}; "
                f"restarted automatically ({restarts} restart(s) so far)",
            )

        def failed(reason: str) -> None:
            self._set_status(
                key, "Failed", f"stand-in process exited with code {code}; restart failed: {reason}"
            )

        self._spawn(key, dead.spec, ok, failed)

    def _supervise(self) -> None:
        while not self._stop.wait(SUPERVISOR_INTERVAL):
            for key, _ in self.registry.items():
                try:
                    self.check(key)
                except Exception:  # the supervisor must survive anything one endpoint does
                    LOG.exception("supervisor check of %s failed", key)


def _role_credentials(spec: StandinSpec) -> dict[str, str] | None:
    """While IAM is enforced, the model role's credentials for the stand-in, its model read checked first
    (see model_role); None otherwise (the stand-in keeps the account-root key)."""
    from scones_localstack.iam.switch import iam_enforced

    if not iam_enforced():
        return None
    try:
        credentials = model_role.assume(spec.role_arn, spec.region, spec.model_data_url)
        model_role.check_model_read(credentials, spec.region, spec.model_data_url)
    except model_role.ModelRoleFailure:
        raise
    except Exception as exc:  # STS/S3 inside LocalStack failed: the endpoint fails, the thread survives
        LOG.exception("assuming %s for the stand-in of %s failed", spec.role_arn, spec.endpoint_name)
        raise model_role.ModelRoleFailure(
            model_role.MODEL_DOWNLOAD_FAILED.format(url=spec.model_data_url)
        ) from exc
    return credentials.environment()


def _stop_many(standins: list[Standin]) -> None:
    """Stop stand-ins in parallel, so shutdown takes one grace period, not one per endpoint."""
    threads = [threading.Thread(target=processes.stop, args=(s,), daemon=True) for s in standins]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 12
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))


_LIFECYCLE: EndpointLifecycle | None = None
_LIFECYCLE_LOCK = threading.Lock()


def get_lifecycle() -> EndpointLifecycle:
    """The one lifecycle of this LocalStack process, created on first use (control plane or runtime)."""
    global _LIFECYCLE
    with _LIFECYCLE_LOCK:
        if _LIFECYCLE is None:
            from localstack import config

            listen = config.GATEWAY_LISTEN[0]
            host = listen.host if listen.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
            _LIFECYCLE = EndpointLifecycle(Settings.from_env(), f"http://{host}:{listen.port}")
        return _LIFECYCLE
