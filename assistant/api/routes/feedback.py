"""`POST /v1/feedback`: helpful / not helpful on an answer."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.deps import AssistantDep, FeedbackLimitDep, check_conversation
from assistant.api.schemas import FeedbackRequest, FeedbackResponse
from assistant.service.feedback import Feedback

router = APIRouter(tags=["feedback"])


@router.post("/v1/feedback", response_model=FeedbackResponse, status_code=201)
def feedback(body: FeedbackRequest, assistant: AssistantDep, principal: FeedbackLimitDep):
    """With a `conversation_id`, only that conversation's owner may give feedback on it
    (404 "unknown conversation" otherwise). The record keeps the key's name and owner."""
    check_conversation(body.conversation_id, assistant, principal)
    fid = assistant.feedback.add(Feedback(
        helpful=body.helpful, question=body.question, answer=body.answer,
        citations=[c.model_dump() for c in body.citations], channel="web", standalone=body.standalone,
        comment=body.comment, conversation_id=body.conversation_id,
        user=principal.name, owner=principal.owner))
    return {"id": fid}
