"""Campaigns' pages, one module per part: ``unsubscribe`` (the customer's page),
``sending`` (a campaign's e-mail previewed, tested and followed as it goes)."""
