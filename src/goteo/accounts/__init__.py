"""Django app: the people who use the web app (roles on Django's users), the audit log and
the record of failed sign-ins. Store layer: it imports no actions, worker, web or CLI."""
