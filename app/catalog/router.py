"""Format pages: adjust a workshop's steps before it starts, keep own formats, download and upload format files."""

import sys
from collections.abc import AsyncIterator, Iterable
from functools import partial
from typing import Any
from urllib.parse import quote

import anyio
import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData, UploadFile

from app import steps as step_types
from app.auth import CsrfChecked, Runner, Viewer, not_a_form, sent_a_form
from app.catalog import editor, files, saved
from app.catalog.editor import Problem, StepsInvalid
from app.catalog.service import TEMPLATES_DIR, formats
from app.errors import DomainError
from app.i18n import N_, gettext
from app.models import Member, RowId, Workshop, local_day
from app.runtime import Runtime, RuntimeDep
from app.security import whole_number
from app.web import TOO_LARGE, render, see_other, wants_json
from app.workshops import service as workshops

router = APIRouter(tags=["formats"])
MAX_JSON = 256 * 1024
YAML_TYPE = "application/yaml; charset=utf-8"
# the editor form's "save as own format" fields, by what the page calls them
SAVE_AS_FIELDS = {"key": "format_key", "name": "format_name", "description": "description"}


def _too_large() -> DomainError:
    return DomainError("too_large", TOO_LARGE, status=413)


def _declared_length(request: Request) -> int:
    length = request.headers.get("content-length", "")
    return whole_number(length, low=0, high=sys.maxsize) or 0


async def _json_or_form(request: Request) -> tuple[dict[str, Any] | None, FormData | None]:
    """The posted JSON object, or else the posted form; any other body is refused (415)."""
    if not request.headers.get("content-type", "").strip().lower().startswith("application/json"):
        # Starlette reads a body of any other type (plain text, say) as an empty form, which would save blanks
        if not sent_a_form(request):
            raise DomainError(
                "not_form_or_json",
                N_(
                    "Hier kan alleen een formulier of JSON heen (application/x-www-form-urlencoded, "
                    "multipart/form-data of application/json). Er is niets opgeslagen."
                ),
                status=415,
            )
        return None, await request.form()
    if _declared_length(request) > MAX_JSON:
        raise _too_large()
    raw = await request.body()
    if len(raw) > MAX_JSON:
        raise _too_large()
    try:
        # orjson refuses nesting deeper than 1,024 (json would recurse until RecursionError) and NaN
        data = orjson.loads(raw)
    except ValueError as exc:
        raise DomainError("bad_json", N_("Dit verzoek kunnen we niet lezen."), status=400) from exc
    if not isinstance(data, dict):
        raise DomainError("bad_json", N_("Dit verzoek kunnen we niet lezen."), status=400)
    return data, None


def _text(source: Any, name: str) -> str:
    value = source.get(name) if source is not None else None
    return value if isinstance(value, str) else ""


async def _owned(runtime: Runtime, *, workshop_id: RowId, member: Member) -> Workshop:
    return await runtime.db.read(partial(workshops.owned_workshop, workshop_id=workshop_id, member=member))


def _placed(problems: Iterable[Problem]) -> tuple[dict[str, list[str]], list[str]]:
    """Problems by where the page shows them ("<step>.<field>", "<step>.options.<n>", "format.<field>"), and all."""
    placed: dict[str, list[str]] = {}
    for problem in problems:
        if problem.step_id and problem.option is not None:
            where = f"{problem.step_id}.options.{problem.option}"
        elif problem.step_id:
            where = f"{problem.step_id}.{problem.field or 'step'}"
        else:
            where = f"format.{problem.field or 'steps'}"
        placed.setdefault(where, []).append(problem.problem())
    return placed, [problem.text() for problem in problems]


def _editor_page(
    request: Request,
    workshop: Workshop,
    *,
    steps: list[dict[str, Any]] | None = None,
    problems: Iterable[Problem] = (),
    status: int = 200,
    notice: str = "",
    save_as: dict[str, Any] | None = None,
    open_steps: Iterable[str] = (),
) -> Response:
    steps = workshop.steps if steps is None else steps
    problems = list(problems)
    placed, summary = _placed(problems)
    context = {
        "workshop": workshop,
        "steps": steps,
        "movable": [editor.movable(steps, i) for i in range(len(steps))],
        "placed": placed,
        "summary": summary,
        "open_steps": {*open_steps, *(p.step_id for p in problems if p.step_id)},
        "notice": notice,
        "step_types": step_types.STEP_TYPES,
        "editor_rows": step_types.editor_rows,
        "timer_seconds": step_types.TIMER_SECONDS,
        "addable": editor.ADDABLE,
        "blank_steps": {kind: editor.new_step(kind, step_id="__ID__") for kind in editor.ADDABLE},
        "max_options": editor.MAX_OPTIONS,
        "max_steps": files.MAX_STEPS,
        "limits": editor.TEXT_LIMITS,
        "save_as": save_as or {"key": editor.suggested_key(workshop.title), "name": workshop.title},
    }
    return render(request, "facilitator/steps_editor.html", context, status=status)


@router.get("/f/workshops/{workshop_id}/steps")
async def steps_editor(
    request: Request, runtime: RuntimeDep, member: Viewer, workshop_id: RowId, bewaard: int = 0
) -> Response:
    """The step editor of a workshop that has not started yet."""
    workshop = await _owned(runtime, workshop_id=workshop_id, member=member)
    try:
        editor.ensure_not_started(workshop)
    except DomainError as exc:
        if wants_json(request):
            raise
        # a page of its own rather than the bare error page: the way back to the board and the download stay
        context = {"workshop": workshop, "locked": exc.text()}
        return render(request, "facilitator/steps_editor.html", context, status=exc.status)
    notice = gettext(N_("De stappen zijn bewaard.")) if bewaard else ""
    return _editor_page(request, workshop, notice=notice)


@router.post("/f/workshops/{workshop_id}/steps", dependencies=[CsrfChecked])
async def save_steps(request: Request, runtime: RuntimeDep, member: Runner, workshop_id: RowId) -> Response:
    """Replace the steps (JSON {"steps": [...]} or the editor's form); connected screens follow at once."""
    body, form = await _json_or_form(request)
    steps: Any = body.get("steps") if body is not None else editor.steps_from_form(form)
    change = _text(form, "change")
    if form is not None and change not in ("", "save"):
        # an editing button pressed without the script: show the result, store nothing yet
        workshop = await _owned(runtime, workshop_id=workshop_id, member=member)
        editor.ensure_not_started(workshop)
        before = {step["id"] for step in steps}
        steps = editor.apply_change(steps, change, add_type=_text(form, "add_type"))
        notice = gettext(N_("Nog niet bewaard: kies Stappen bewaren als je klaar bent."))
        save_as = {key: _text(form, name) for key, name in SAVE_AS_FIELDS.items()}
        touched = [step["id"] for step in steps if step["id"] not in before or f":{step['id']}:" in f"{change}:"]
        return _editor_page(request, workshop, steps=steps, notice=notice, save_as=save_as, open_steps=touched)
    job = workshops.owned_job(partial(editor.save_steps, steps=steps), workshop_id=workshop_id, member=member)
    try:
        view = await runtime.db.write(job)
    except StepsInvalid as exc:
        if body is not None or wants_json(request):
            return JSONResponse(exc.payload(), status_code=exc.status)
        workshop = await _owned(runtime, workshop_id=workshop_id, member=member)
        return _editor_page(request, workshop, steps=steps, problems=exc.problems, status=exc.status)
    if body is not None or wants_json(request):
        message = gettext(N_("Bewaard. De regie, het scherm en de telefoons hebben de nieuwe stappen."))
        return JSONResponse({"steps": view["steps"], "message": message})
    return see_other(f"/f/workshops/{workshop_id}/steps?bewaard=1")


@router.post("/f/workshops/{workshop_id}/steps/format", dependencies=[CsrfChecked])
async def save_as_format(request: Request, runtime: RuntimeDep, member: Runner, workshop_id: RowId) -> Response:
    """Keep the edited steps as an own format (JSON {key, name, description, steps, overwrite} or the form)."""
    body, form = await _json_or_form(request)
    source: Any = body if body is not None else form
    if body is not None:
        steps, overwrite = body.get("steps"), body.get("overwrite") is True
        key, name = _text(body, "key"), _text(body, "name")
    else:
        steps, overwrite = editor.steps_from_form(form), _text(form, "overwrite") == "true"
        key, name = _text(form, "format_key"), _text(form, "format_name")
    fn = partial(
        editor.save_as_format,
        facilitator_id=member.account_id,
        key=key,
        name=name,
        description=_text(source, "description"),
        steps=steps,
        overwrite=overwrite,
    )
    try:
        spec = await runtime.db.write(workshops.owned_job(fn, workshop_id=workshop_id, member=member))
    except StepsInvalid as exc:
        if body is not None or wants_json(request):
            return JSONResponse(exc.payload(), status_code=exc.status)
        workshop = await _owned(runtime, workshop_id=workshop_id, member=member)
        save_as = {"key": key, "name": name, "description": _text(source, "description")}
        return _editor_page(request, workshop, steps=steps, problems=exc.problems, status=exc.status, save_as=save_as)
    if body is not None or wants_json(request):
        message = gettext(N_("Bewaard als eigen werkvorm {name}. Je kiest hem bij een nieuwe workshop.")).format(
            name=spec.name.nl
        )
        return JSONResponse({"key": spec.key, "name": spec.name.nl, "url": "/f/formats", "message": message})
    return see_other(f"/f/formats?bewaard={spec.key}")


def _yaml_download(text: str, filename: str) -> Response:
    headers = {"content-disposition": f'attachment; filename="{filename}"'}
    return Response(text.encode("utf-8"), media_type=YAML_TYPE, headers=headers)


@router.get("/f/workshops/{workshop_id}/steps.yaml")
async def download_workshop_steps(runtime: RuntimeDep, member: Viewer, workshop_id: RowId) -> Response:
    """A workshop's current steps as a format file, named after the workshop."""
    workshop = await _owned(runtime, workshop_id=workshop_id, member=member)
    spec = editor.workshop_format(workshop)
    return _yaml_download(files.format_yaml(files.spec_data(spec)), f"{spec.key}.yaml")


@router.get("/f/formats/eigen/{key}.yaml")
async def download_own(runtime: RuntimeDep, member: Viewer, key: str) -> Response:
    """One of the facilitator's own formats as a file."""
    row = await runtime.db.read(partial(saved.get_saved, workspace_id=member.workspace_id, key=key))
    return _yaml_download(files.format_yaml(row.spec), f"{row.key}.yaml")


@router.get("/f/formats/{key}.yaml")
async def download_shipped(_member: Viewer, key: str) -> Response:
    """A shipped format file exactly as it is in session_templates/, comments and all."""
    if key not in formats():
        raise DomainError("format_not_found", N_("Deze werkvorm bestaat niet."), status=404)
    text = await anyio.Path(TEMPLATES_DIR / f"{key}.yaml").read_text(encoding="utf-8")
    return _yaml_download(text, f"{key}.yaml")


async def _formats_page(
    request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any
) -> Response:
    rows = await runtime.db.read(partial(saved.list_saved, workspace_id=member.workspace_id))
    context = {
        "shipped": formats(),
        "own": [(row, saved.parsed_spec(row)) for row in rows],
        "max_upload_kb": files.MAX_UPLOAD // 1024,
        "local_day": local_day,
        **extra,
    }
    return render(request, "facilitator/formats.html", context, status=status)


@router.get("/f/formats")
async def formats_page(
    request: Request, runtime: RuntimeDep, member: Viewer, bewaard: str = "", verwijderd: str = ""
) -> Response:
    """Shipped and own formats: what each holds, download, upload and delete."""
    notice = ""
    if bewaard:
        notice = gettext(N_("Eigen werkvorm {key} is bewaard. Je kiest hem bij een nieuwe workshop.")).format(
            key=bewaard[:40]
        )
    elif verwijderd:
        notice = gettext(N_("Eigen werkvorm {key} is verwijderd.")).format(key=verwijderd[:40])
    return await _formats_page(request, runtime, member, notice=notice)


async def _upload_guard(request: Request) -> AsyncIterator[None]:
    """Refuse an upload by its declared size before anything reads it; close its spooled file afterwards."""
    if _declared_length(request) > files.MAX_UPLOAD + 16 * 1024:
        raise DomainError(
            "file_too_large", N_("Dit bestand is te groot: een werkvorm mag hoogstens 64 KB zijn."), status=413
        )
    try:
        yield
    finally:
        # the form is read by the CSRF check and here, not by FastAPI, which would otherwise close it
        await request.close()


@router.post("/f/formats/upload", dependencies=[Depends(_upload_guard), CsrfChecked])
async def upload_format(request: Request, runtime: RuntimeDep, member: Runner) -> Response:
    """Store an uploaded format file (multipart field "file") as an own format, checked like the shipped ones."""
    # any other body reads as a form without a file, and would be answered "choose a file" as if none was chosen
    if not sent_a_form(request):
        raise not_a_form()
    # before the form is read: a refusal is the app's own 429 page, with its Retry-After
    await runtime.check_upload_rate(member.account_id)
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise DomainError("no_file", N_("Kies eerst een bestand."), status=422)
        data = await upload.read(files.MAX_UPLOAD + 1)
        spec = await anyio.to_thread.run_sync(files.read_upload, data, upload.filename)
        overwrite = _text(form, "overwrite") == "true"
        await runtime.db.write(
            partial(
                saved.save_format,
                workspace_id=member.workspace_id,
                facilitator_id=member.account_id,
                spec=spec,
                overwrite=overwrite,
            )
        )
    except DomainError as exc:
        if wants_json(request):
            return JSONResponse({"detail": exc.text(), "code": exc.code}, status_code=exc.status)
        # the loader's own words ("file: field: problem") go under the Dutch sentence, set apart
        detail = exc.params.get("problem", "")
        error = gettext(N_("Dit bestand kunnen we niet gebruiken:")) if detail else exc.text()
        return await _formats_page(
            request, runtime, member, status=exc.status, upload_error=error, upload_detail=detail
        )
    if wants_json(request):
        return JSONResponse({"key": spec.key, "name": spec.name.nl})
    return see_other(f"/f/formats?bewaard={spec.key}")


@router.post("/f/formats/eigen/{key}/delete", dependencies=[CsrfChecked])
async def delete_format(request: Request, runtime: RuntimeDep, member: Runner, key: str) -> Response:
    """Delete an own format; workshops made from it keep their steps."""
    await runtime.db.write(partial(saved.delete_format, workspace_id=member.workspace_id, key=key))
    if wants_json(request):
        return JSONResponse({"deleted": key})
    return see_other(f"/f/formats?verwijderd={quote(key)}")
