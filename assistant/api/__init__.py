"""The HTTP API (FastAPI): the app, its dependencies, request and response models, middleware and
one router per resource under `routes/`."""
