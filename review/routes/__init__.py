"""The routers of the review app, one module per screen group."""
