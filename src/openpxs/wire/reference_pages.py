"""The API reference pages, /docs (Swagger UI) and /redoc (ReDoc), served offline.

Their scripts and styles come from the installed fastapi-offline package (pinned in
pyproject.toml), mounted under /docs-assets, so the pages work on a machine without
internet and show the same version of the viewers the server was tested with.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, RedirectResponse

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
OPENAPI_URL = "/openapi.json"
TITLE = "OpenPXS API"


def mount_reference_pages(app: FastAPI) -> None:
    """Add /docs, /redoc, their assets, and / pointing at /docs."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/docs", status_code=307)

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=TITLE,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={
                # Operations start folded: the reference has over a hundred of them.
                "docExpansion": "none",
                "defaultModelsExpandDepth": 0,
                # Left on, Swagger UI sends the document to an online validator.
                "validatorUrl": None,
            },
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=OPENAPI_URL,
            title=TITLE,
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            # No web fonts: ReDoc would fetch them from the internet.
            with_google_fonts=False,
        )
