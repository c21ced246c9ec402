"""The web page (`assistant/web`), served by the app itself."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
router = APIRouter()


def mount_page(app) -> None:
    """The page at `/` and its files at `/static`."""
    if WEB_DIR.exists():
        app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
        app.include_router(router)


@router.get("/", include_in_schema=False)
def page():
    return FileResponse(WEB_DIR / "index.html", media_type="text/html")


@router.get("/favicon.ico", include_in_schema=False)
def favicon():
    return Response(status_code=204)
