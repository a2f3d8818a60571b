"""The order book's sheets: products, orders and payments, each an import kind with its
export rows (registered from ``OrdersConfig.ready()``)."""
