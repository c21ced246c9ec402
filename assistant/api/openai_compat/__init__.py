"""The OpenAI-compatible surface of the API (`POST /v1/chat/completions`, `GET /v1/models`, in
`assistant/api/routes/openai.py`): its request model (`schemas`), OpenAI's error envelope
(`errors`) and the completion objects and stream chunks it answers with (`objects`)."""
