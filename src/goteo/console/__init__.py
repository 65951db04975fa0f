"""The marketer's web app under ``/app/``: its own sessions, sign-in and CSRF, so the public
pages stay cookie-free. It reads through the shared read models and writes only through
actions (docs/console.md)."""
