"""Campaigns' pages, one module per part: ``unsubscribe`` (the customer's page)."""
