"""The one place that wires the domains: which handler reacts to which event.

Every entry point (the app factory, the CLI, the Celery worker, the test suite) calls ``wire()``
before it serves. A domain publishes typed events (``ground.events``) without knowing who
reacts; the subscriptions below are the whole list of who does, in the order they run (a
gate, a handler that refuses by raising, runs before the handlers after it). Importing this
module also imports every table (``market.shell.models``) and every module that declares Celery
tasks, so tasks are registered before anything is sent or run.
"""

from __future__ import annotations

from accounts import events as account_events
from audit import subscriptions as audit_subscriptions
from audit import tasks as audit_tasks
from audit.service import install_commit_hook
from billing import events as billing_events
from billing import service as billing
from ground.events import subscribe
from ground.idempotency import tasks as idempotency_tasks
from listings import events as listing_events
from listings import tasks as listing_tasks
from market.shell import models  # noqa: F401  (every table mapped before a session is used)
from sandbox import columns as sandbox_columns
from sandbox import deletion as sandbox_deletion
from sandbox import profiles as sandbox_profiles
from sandbox import subscriptions as sandbox_subscriptions
from sandbox import tasks as sandbox_tasks
from trade import events as trade_events
from trade import settlement, stops
from trade import tasks as trade_tasks

# Every module that declares Celery tasks (imported above), by name.
TASK_MODULES = tuple(
    module.__name__
    for module in (audit_tasks, listing_tasks, idempotency_tasks, trade_tasks, sandbox_tasks)
)


def wire() -> None:
    """Subscribe every cross-domain handler and install the audit log's commit hook
    (idempotent: wiring twice keeps one of each)."""
    install_commit_hook()
    _wire_accounts()
    _wire_listings()
    _wire_trade()
    _wire_money_to_orders()


def _wire_accounts() -> None:
    # The audit log records every change of accounts (accounts sits below audit).
    subscribe(account_events.SignedIn, audit_subscriptions.record_sign_in)
    subscribe(account_events.OrganizationCreated, audit_subscriptions.record_organization_created)
    subscribe(account_events.UserCreated, audit_subscriptions.record_user_created)
    subscribe(account_events.UserActivationChanged, audit_subscriptions.record_user_activation)
    # A gate: no new API key for a buyer under an emergency stop.
    subscribe(account_events.ApiKeyRequested, stops.refuse_api_keys_while_stopped)
    subscribe(account_events.ApiKeyCreated, audit_subscriptions.record_api_key_created)
    subscribe(account_events.ApiKeyRevoked, audit_subscriptions.record_api_key_revoked)


def _wire_listings() -> None:
    subscribe(listing_events.DatasetListed, billing.create_free_plan)
    subscribe(listing_events.ColumnsRenamed, sandbox_columns.rename_profile_columns)
    # A gate: no delivery mode that a plan still offered contradicts.
    subscribe(listing_events.DeliveryModeChanging, billing.refuse_contradicted_plans)
    subscribe(listing_events.DatasetDeleting, billing.delete_plans)
    subscribe(listing_events.DatasetDeleting, sandbox_deletion.delete_profile)
    # A question: the sandbox answers with the approved profile's public metadata.
    subscribe(listing_events.PublicMetadataWanted, sandbox_profiles.answer_public_metadata)


def _wire_trade() -> None:
    subscribe(trade_events.SandboxPackActivated, sandbox_subscriptions.grant_from_order)
    subscribe(trade_events.SandboxPackRefunded, sandbox_subscriptions.withdraw_refunded)
    subscribe(trade_events.EntitlementRevoked, sandbox_subscriptions.end_allotment)
    subscribe(trade_events.EntitlementsRevoked, sandbox_subscriptions.end_grants)


def _wire_money_to_orders() -> None:
    """Billing moves the money, trade moves the orders it was paid for (same transaction)."""
    # A Stripe payment captured: trade credits its order, or refuses (billing lists it).
    subscribe(billing_events.CardPaymentCaptured, settlement.credit_card_payment)
    # A refund booked: trade takes back its share, and ends an order with nothing left paid.
    subscribe(billing_events.PaymentRefunded, settlement.take_back_refund)
