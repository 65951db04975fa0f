"""Django app: content calendars (versioned), their accounts, scheduled posts and published ones."""
