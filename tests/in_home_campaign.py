"""The campaign the in-home wait is tested with: a postcard, three days after it is in home
an email (shared by the engine's, the worker's and the end-to-end tests)."""

from __future__ import annotations

DOC = """\
key: card
steps:
  - {id: card, send: mail, template: card}
  - {id: later, wait: {after: in_home, for: 3d}}
  - {id: thanks, send: email, template: thanks}
templates:
  card:
    en: {subject: Card, format: postcard-4x6, html: "<p>Hi {{ contact.first_name }}</p>"}
  thanks:
    en:
      subject: Thanks
      html: '<p>Thanks</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
"""
