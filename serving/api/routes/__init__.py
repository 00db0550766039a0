"""The API's routers, one module per route family."""
