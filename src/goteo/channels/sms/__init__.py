"""The SMS channel: a template's text to the contact's phone, through Twilio or a test double.

``provider.py`` is the channel (prepare, deliver); ``twilio_sender.py`` sends through Twilio's
REST API; ``doubles.py`` holds the ``memory:`` and ``folder:`` senders; ``config.py`` reads
``GOTEO_SMS_URL``. See docs/sms.md.
"""
