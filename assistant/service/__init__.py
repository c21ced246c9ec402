"""The service layer behind every channel (HTTP API, Slack, CLI, evals): `Assistant.ask`, the
conversation and feedback stores, and the one place that turns a result into the response."""
