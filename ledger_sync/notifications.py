"""The Prefect automation that tells people when the sync needs them: a run parked new records, or a
connection needs reconnecting.

`ledger-sync setup-limits` (and `ledger-sync up`) create or replace it when LEDGER_SYNC_NOTIFY_WEBHOOK_URL is
set: a Prefect `Webhook` block holding the URL (kept as a secret) and an automation whose event trigger fires
on either event of any connection (`state/sync_events.py`) and calls the webhook with a JSON body naming the
event, the company, the ledger and what happened. Any service that takes a webhook (a chat channel, a
pager, an email relay) can receive it. Unset, any automation made earlier is removed.
"""

from datetime import timedelta

from prefect.blocks.webhook import Webhook
from prefect.client.orchestration import get_client
from prefect.events.actions import CallWebhook
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.utilities.asyncutils import run_coro_as_sync
from pydantic import SecretStr

from ledger_sync.settings import Settings
from ledger_sync.state.sync_events import NEEDS_RECONNECT_EVENT, PARKED_EVENT, RESOURCE_PREFIX

AUTOMATION = "ledger-sync-notifications"
BLOCK = "ledger-sync-notify"
PAYLOAD = """{
  "event": "{{ event.event }}",
  "company_id": "{{ event.resource['ledger-sync.company-id'] }}",
  "ledger": "{{ event.resource['ledger-sync.ledger'] }}",
  "text": {{ event.payload.summary | tojson }},
  "occurred": "{{ event.occurred }}"
}"""
"""The webhook's JSON body (a Jinja template Prefect renders per event)."""


def setup_notifications(settings: Settings) -> list[str]:
    """Create or replace the automation (and its webhook block), or remove it when no URL is set."""
    with get_client(sync_client=True) as client:
        for old in client.read_automations_by_name(AUTOMATION):
            client.delete_automation(old.id)
        if settings.notify_webhook_url is None or not settings.notify_webhook_url.get_secret_value():
            return []
        block = Webhook(method="POST", url=SecretStr(settings.notify_webhook_url.get_secret_value()))
        # asave run to completion here: `save` hands back a coroutine when it thinks it is in async code
        block_id = run_coro_as_sync(block.asave(BLOCK, overwrite=True))
        trigger = EventTrigger(
            match={"prefect.resource.id": f"{RESOURCE_PREFIX}*"},
            expect={PARKED_EVENT, NEEDS_RECONNECT_EVENT},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        )
        client.create_automation(
            AutomationCore(
                name=AUTOMATION,
                description="Calls the LEDGER_SYNC_NOTIFY_WEBHOOK_URL when a run parks new records or a "
                "connection needs reconnecting.",
                trigger=trigger,
                actions=[CallWebhook(block_document_id=block_id, payload=PAYLOAD)],
            )
        )
    return [f"automation {AUTOMATION} (webhook block {BLOCK})"]
