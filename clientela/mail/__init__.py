"""Outgoing e-mail for the whole product, as an outbox (decision 0015): a message is
written in the caller's transaction and sent by the background worker, retried when the
server fails for a while, and logged; without an SMTP server it is written as an .eml
file in the data folder's ``outbox/``."""
