"""One session per command: the target's clients, the credential check, the caller's account and partition,
and the plan, each worked out once and shared by deploy, run, cleanup and evaluate.

Why: deploy and run each built clients, checked credentials, asked STS who the caller is and built the plan;
evaluate, which calls run, did it twice. A session does each step at most once, on first use, so a command
that needs no account (cleanup finds by tag) never asks STS, and ``--dry-run`` (which prints
``build_plan(settings)``) never builds one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from scones.workflow.clients import Clients
from scones.workflow.plan import Plan, build_plan
from scones.workflow.settings import WorkflowSettings


@dataclass(frozen=True)
class Identity:
    """Who the calls are made as: the account and partition that every ARN in the plan names."""

    account: str
    partition: str


class WorkflowSession:
    """Clients for ``settings``' target plus what is learned about the caller, each on first use."""

    def __init__(self, settings: WorkflowSettings, clients: Clients | None = None) -> None:
        self.settings = settings
        self.clients = clients or Clients(settings)
        self._credentials_checked = False

    @classmethod
    def of(cls, settings: WorkflowSettings, clients: Clients | WorkflowSession | None) -> WorkflowSession:
        """The session the public functions work with: the one given, or one around the given clients.

        The public functions take ``clients=`` (a ``Clients`` or a ``WorkflowSession``) so a caller that
        builds one session (evaluate, the demo) shares its account look-up and plan with every call.
        """
        if isinstance(clients, WorkflowSession):
            if clients.settings != settings:
                raise ValueError("the session was opened for other settings than the ones given")
            return clients
        return cls(settings, clients)

    def check_credentials(self) -> None:
        """Target aws: fail before any call when boto3 finds nothing to sign with (once per session)."""
        if not self._credentials_checked and not self.settings.is_local:
            self.clients.check_credentials()
        self._credentials_checked = True

    @cached_property
    def identity(self) -> Identity:
        """The caller (STS GetCallerIdentity), after the credential check; names an unreachable target."""
        self.check_credentials()
        account, partition = self.clients.account()
        return Identity(account, partition)

    @property
    def account(self) -> str:
        return self.identity.account

    @property
    def partition(self) -> str:
        return self.identity.partition

    @cached_property
    def plan(self) -> Plan:
        return build_plan(self.settings, account=self.account, partition=self.partition)
