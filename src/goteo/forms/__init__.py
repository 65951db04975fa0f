"""Public opt-in forms, defined as documents like campaigns (docs/forms.md)."""
