"""Goteo's own messages (the double opt-in confirmation), in the demo's six languages.

They are a campaign document like any other, parsed once. Values: ``confirm_url`` and
``form_name`` come with each message. A form may write the confirmation in its own words
(``goteo.forms.texts``): the delivery's context then carries them under ``form_message``
(``{subject, html}``), and ``system_campaign`` makes a one-variant campaign of them.

``lead-handoff`` (English only) goes to a salesperson, not to the contact: it tells the owner
of a lead that just became hot who it is and what it did. Its values come from
``goteo.actions.handoff.notification_context``: ``lead``, ``score``, ``threshold``,
``hot_at``, and the lists ``events``, ``score_changes``, ``campaigns`` and ``messages``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from goteo.engine.model import Campaign
from goteo.engine.parser import parse_campaign

FORM_MESSAGE = "form_message"

_SOURCE = """
key: goteo-system
name: Goteo
default_locale: en
steps:
  - send: email
    template: confirm
templates:
  confirm:
    en:
      subject: "Please confirm your subscription to {{ form_name }}"
      html: |
        <p>Hello{% if contact.first_name %} {{ contact.first_name }}{% endif %},</p>
        <p>Someone, hopefully you, asked to receive {{ form_name }} at this address.</p>
        <p><a href="{{ confirm_url }}">Yes, subscribe me</a></p>
        <p>If it was not you, ignore this message: nothing more will be sent.</p>
    es:
      subject: "Confirma tu suscripción a {{ form_name }}"
      html: |
        <p>Hola{% if contact.first_name %} {{ contact.first_name }}{% endif %}:</p>
        <p>Alguien, esperamos que tú, pidió recibir {{ form_name }} en esta dirección.</p>
        <p><a href="{{ confirm_url }}">Sí, suscribirme</a></p>
        <p>Si no fuiste tú, ignora este mensaje: no te enviaremos nada más.</p>
    fr:
      subject: "Confirmez votre inscription à {{ form_name }}"
      html: |
        <p>Bonjour{% if contact.first_name %} {{ contact.first_name }}{% endif %},</p>
        <p>Quelqu’un, vous sans doute, a demandé à recevoir {{ form_name }} à cette adresse.</p>
        <p><a href="{{ confirm_url }}">Oui, je m’inscris</a></p>
        <p>Si ce n’était pas vous, ignorez ce message : nous n’enverrons rien d’autre.</p>
    it:
      subject: "Conferma la tua iscrizione a {{ form_name }}"
      html: |
        <p>Ciao{% if contact.first_name %} {{ contact.first_name }}{% endif %},</p>
        <p>Qualcuno, speriamo tu, ha chiesto di ricevere {{ form_name }} a questo indirizzo.</p>
        <p><a href="{{ confirm_url }}">Sì, iscrivimi</a></p>
        <p>Se non sei stato tu, ignora questo messaggio: non invieremo altro.</p>
    pl:
      subject: "Potwierdź subskrypcję: {{ form_name }}"
      html: |
        <p>Dzień dobry{% if contact.first_name %}, {{ contact.first_name }}{% endif %}!</p>
        <p>Ktoś, mamy nadzieję, że Ty, poprosił o {{ form_name }} na ten adres.</p>
        <p><a href="{{ confirm_url }}">Tak, zapisz mnie</a></p>
        <p>Jeśli to nie Ty, zignoruj tę wiadomość: nic więcej nie wyślemy.</p>
    ru:
      subject: "Подтвердите подписку: {{ form_name }}"
      html: |
        <p>Здравствуйте{% if contact.first_name %}, {{ contact.first_name }}{% endif %}!</p>
        <p>Кто-то, надеемся, что вы, попросил присылать {{ form_name }} на этот адрес.</p>
        <p><a href="{{ confirm_url }}">Да, подписаться</a></p>
        <p>Если это были не вы, просто проигнорируйте письмо: больше мы ничего не пришлём.</p>
  lead-handoff:
    en:
      subject: "Hot lead for you: {{ lead.email }} (score {{ score }})"
      html: |
        <p>{% if lead.full_name.size > 0 %}{{ lead.full_name }} ({{ lead.email }})
        {%- else %}{{ lead.email }}{% endif %} crossed the lead score threshold of
        {{ threshold }} on {{ hot_at }} with a score of {{ score }}, and is yours to
        follow up.</p>
        {% if lead.locale.size > 0 or lead.timezone.size > 0 %}<p>Language:
        {{ lead.locale | default: "unknown" }}; time zone:
        {{ lead.timezone | default: "unknown" }}.</p>{% endif %}
        <h3>Recent activity</h3>
        {% if events.size > 0 %}<ul>{% for event in events %}
        <li>{{ event.at }}: {{ event.name }}
        {%- if event.details.size > 0 %} ({{ event.details }}){% endif %}</li>{% endfor %}
        </ul>{% else %}<p>No events recorded.</p>{% endif %}
        <h3>Score changes</h3>
        {% if score_changes.size > 0 %}<ul>{% for change in score_changes %}
        <li>{{ change.at }}: {{ change.points }} ({{ change.reason }})</li>{% endfor %}
        </ul>{% else %}<p>None.</p>{% endif %}
        <h3>Campaigns</h3>
        {% if campaigns.size > 0 %}<ul>{% for journey in campaigns %}
        <li>{{ journey.name }} ({{ journey.status }}, since {{ journey.at }})</li>{% endfor %}
        </ul>{% else %}<p>None.</p>{% endif %}
        <h3>Messages received</h3>
        {% if messages.size > 0 %}<ul>{% for message in messages %}
        <li>{{ message.at }}: {{ message.subject | default: message.campaign }}
        {%- if message.engagement.size > 0 %} ({{ message.engagement }}){% endif %}</li>{% endfor %}
        </ul>{% else %}<p>None.</p>{% endif %}
"""

SYSTEM_MESSAGES = parse_campaign(_SOURCE)


def system_campaign(template: str, locale: str, context: Mapping[str, Any]) -> Campaign:
    """The campaign a transactional delivery is rendered from: Goteo's own messages, or the
    form's own words for it when its context carries them."""
    own = context.get(FORM_MESSAGE)
    if not isinstance(own, Mapping):
        return SYSTEM_MESSAGES
    return _own_words(template, locale, str(own.get("subject", "")), str(own.get("html", "")))


@lru_cache(maxsize=256)
def _own_words(template: str, locale: str, subject: str, html: str) -> Campaign:
    variant = {"subject": subject, "html": html}
    document = {
        "key": "goteo-form-message",
        "name": "Goteo",
        "default_locale": locale,
        "steps": [{"send": "email", "template": template}],
        "templates": {template: {locale: variant}},
    }
    return parse_campaign(json.dumps(document, ensure_ascii=False))
