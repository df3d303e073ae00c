"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served offline.

FastAPI's own pages load their scripts from a CDN, which a machine with no network cannot
reach, so they render blank. These pages load the same scripts from the package
``fastapi-offline`` (MIT; Swagger UI is Apache-2.0, ReDoc MIT), which ships them, mounted
under :data:`ASSETS_URL`. ReDoc is asked not to fetch Google's fonts.

>>> sorted(ASSET_FILES)
['favicon.png', 'redoc.standalone.js', 'swagger-ui-bundle.js', 'swagger-ui.css']
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Where the pages' scripts, styles and icon are served.
ASSETS_URL = "/docs/assets"
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
ASSET_FILES = ("favicon.png", "redoc.standalone.js", "swagger-ui-bundle.js", "swagger-ui.css")
#: Swagger UI settings: keep the key across reloads, show how long each call took, try it out at once.
SWAGGER_UI_PARAMETERS = {"persistAuthorization": True, "displayRequestDuration": True, "tryItOutEnabled": True}

router = APIRouter(include_in_schema=False)


def _assets(request: Request) -> str:
    return request.scope.get("root_path", "") + ASSETS_URL


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    return get_swagger_ui_html(
        openapi_url=request.scope.get("root_path", "") + app.openapi_url, title=f"{app.title}: Swagger UI",
        oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
        swagger_js_url=f"{_assets(request)}/swagger-ui-bundle.js",
        swagger_css_url=f"{_assets(request)}/swagger-ui.css",
        swagger_favicon_url=f"{_assets(request)}/favicon.png", swagger_ui_parameters=SWAGGER_UI_PARAMETERS)


@router.get("/docs/oauth2-redirect")
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    app = request.app
    return get_redoc_html(openapi_url=request.scope.get("root_path", "") + app.openapi_url,
                          title=f"{app.title}: ReDoc", redoc_js_url=f"{_assets(request)}/redoc.standalone.js",
                          redoc_favicon_url=f"{_assets(request)}/favicon.png", with_google_fonts=False)


def install_docs(app: FastAPI) -> None:
    """Serve the offline ``/docs`` and ``/redoc`` on ``app`` (made with ``docs_url=None, redoc_url=None``)."""
    missing = [name for name in ASSET_FILES if not (ASSETS_DIR / name).is_file()]
    if missing:  # a broken install: say so at start, not as a blank page later
        raise RuntimeError(f"The API docs' assets {missing} are missing from {ASSETS_DIR}; "
                           f"reinstall the package fastapi-offline.")
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    app.include_router(router)
