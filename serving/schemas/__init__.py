"""Request and response bodies of the API, as separate pydantic models per route family."""
