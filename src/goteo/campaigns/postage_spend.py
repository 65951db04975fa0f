"""A campaign's postage spend: what its mailers cost, read from the outbox.

Each mailer's cost is stored on its delivery (``Delivery.postage``) by the statement that
marks it in flight, and kept by the one that records it sent (the same recording path as
every channel's: docs/channels.md), so a mailer is counted once however often it is retried.
The spend **committed** is every sent mailer's cost plus every pending mailer that carries
one: in flight now, or handed over by a worker that died before recording it (it may have
been printed). The budget's check counts both; the report shows them apart.

``lock_budget`` takes the campaign's row for the rest of the sender's transaction, so two
workers never check a budget at once: the second reads the spend after the first's mailer
is marked in flight (docs/direct-mail.md#the-postage-budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from goteo.campaigns.models import Campaign, CampaignVersion, Delivery, DeliveryStatus
from goteo.campaigns.versions import campaign_for_version
from goteo.engine.postage import PostageBudget, money

PLACES = Decimal("0.0001")  # Delivery.postage's decimal places


@dataclass(frozen=True)
class Spend:
    sent: Decimal  # the mailers recorded sent
    sent_count: int
    in_flight: Decimal  # pending mailers that carry a cost: handed over, not yet recorded
    in_flight_count: int

    @property
    def committed(self) -> Decimal:
        return self.sent + self.in_flight


def lock_budget(campaign_id: int) -> tuple[str | None, PostageBudget | None]:
    """Inside a transaction: the campaign's status and its current version's budget, its
    row locked until the transaction ends (SQLite's transaction holds the write lock)."""
    lock = " FOR NO KEY UPDATE OF k" if connection.vendor == "postgresql" else ""
    sql = (
        f"SELECT k.status, v.id, v.checksum FROM {Campaign._meta.db_table} k "
        f"LEFT JOIN {CampaignVersion._meta.db_table} v ON v.id = k.current_version_id "
        f"WHERE k.id = %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id])
        row = cursor.fetchone()
    if row is None:
        return None, None
    status, version_id, checksum = row
    if version_id is None:
        return str(status), None
    return str(status), campaign_for_version(version_id, checksum).postage


def campaign_spend(campaign_id: int, excluding: int | None = None) -> Spend:
    """The campaign's spend, leaving out the delivery ``excluding`` (the one being checked)."""
    sql = (
        "SELECT status, COUNT(*), COALESCE(SUM(postage), 0) "
        f"FROM {Delivery._meta.db_table} WHERE campaign_id = %s AND postage IS NOT NULL "
        "AND status IN (%s, %s) AND id <> %s GROUP BY status"
    )
    sent, pending = DeliveryStatus.SENT.value, DeliveryStatus.PENDING.value
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, sent, pending, excluding or 0])
        rows = {str(s): (int(n), _amount(total)) for s, n, total in cursor.fetchall()}
    sent_count, sent_total = rows.get(sent, (0, Decimal(0)))
    flight_count, flight_total = rows.get(pending, (0, Decimal(0)))
    return Spend(sent_total, sent_count, flight_total, flight_count)


def _amount(value: object) -> Decimal:
    """A sum as the column's decimals (SQLite sums its numeric column as a float)."""
    return Decimal(str(value)).quantize(PLACES)


def postage_report(
    campaign_id: int, budget: PostageBudget | None, currency: str | None
) -> dict[str, object] | None:
    """The report's ``postage``: the budget, spent (sent), in flight and remaining, as text in
    the currency's minor unit; None for a campaign with no budget that has spent nothing.
    ``currency`` is the price list's, for a campaign without a budget."""
    spend = campaign_spend(campaign_id)
    if budget is None and not (spend.sent_count or spend.in_flight_count):
        return None
    code = budget.currency if budget is not None else currency or ""

    def shown(amount: Decimal) -> str:
        return money(amount, code) if code else str(amount.normalize())

    remaining = None if budget is None else max(budget.budget - spend.committed, Decimal(0))
    return {
        "budget": None if budget is None else shown(budget.budget),
        "currency": code or None,
        "spent": shown(spend.sent),
        "mailers": spend.sent_count,
        "in_flight": shown(spend.in_flight),
        "in_flight_mailers": spend.in_flight_count,
        "remaining": None if remaining is None else shown(remaining),
    }
